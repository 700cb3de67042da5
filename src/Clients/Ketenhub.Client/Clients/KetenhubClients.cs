using System.Runtime.CompilerServices;
using Ketenhub.Client.Transport;
using Ketenhub.Contracts.V1;

namespace Ketenhub.Client;

/// <summary>Clients of the hub (the people supported): registration, coach and care team, journey and report.</summary>
public sealed class KetenhubClients
{
    private readonly HubCalls _calls;
    private readonly ClientService.ClientServiceClient _client;
    private readonly CaseloadService.CaseloadServiceClient _caseload;

    internal KetenhubClients(HubCalls calls)
    {
        _calls = calls;
        _client = new ClientService.ClientServiceClient(calls.Invoker);
        _caseload = new CaseloadService.CaseloadServiceClient(calls.Invoker);
    }

    /// <summary>
    /// The caller's caseload, page after page (each page is one call with its own deadline): with a person's token the
    /// clients that person coaches now, with an organisation's token every client its coaches follow; each with what
    /// needs attention (open signals, open tasks, consents that end soon, the next birthday that changes the rules).
    /// </summary>
    /// <param name="pageSize">Entries per call; 0 for the hub's default.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The entries, in the hub's stable order.</returns>
    /// <exception cref="KetenhubException">The hub refused the call or could not be reached.</exception>
    public async IAsyncEnumerable<CaseloadEntry> ListCaseloadAsync(int pageSize = 0, KetenhubCallOptions? call = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = string.Empty;
        do
        {
            var request = new ListCaseloadEntriesRequest { PageSize = pageSize, PageToken = token };
            var page = await _calls.UnaryAsync(o => _caseload.ListCaseloadEntriesAsync(request, o), call, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Entries)
            {
                yield return entry;
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }

    /// <summary>
    /// The client's access report in plain Dutch: which organisations received what about the client, when and why, who
    /// looked at the client's data, and which consents hold.
    /// </summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The report.</returns>
    /// <exception cref="KetenhubException">Not found, not allowed, or the hub could not be reached.</exception>
    public async Task<ClientAccessReport> GetAccessReportAsync(string client, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetClientAccessReportRequest { Client = client ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.GetClientAccessReportAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Report;
    }

    /// <summary>Registers a client by BSN, or finds the one already registered with it.</summary>
    /// <param name="bsn">The burgerservicenummer (elfproef-valid).</param>
    /// <param name="birthDate">The date of birth.</param>
    /// <param name="municipalityCode">The CBS municipality code, four digits (for example <c>0505</c>).</param>
    /// <param name="school">The school of record, <c>parties/{id}</c>, or null.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The client (its stable name, never the BSN) and whether it already existed.</returns>
    /// <exception cref="KetenhubException">The hub refused the registration or could not be reached.</exception>
    public Task<RegisterClientResponse> RegisterAsync(string bsn, DateOnly birthDate, string municipalityCode, string? school = null, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new RegisterClientRequest
        {
            RequestId = HubCalls.RequestId(call),
            Bsn = bsn ?? string.Empty,
            BirthDate = birthDate.ToContractDate(),
            MunicipalityCode = municipalityCode ?? string.Empty,
            School = school ?? string.Empty,
        };
        return _calls.UnaryAsync(o => _client.RegisterClientAsync(request, o), call, cancellationToken);
    }

    /// <summary>Reads a client and its current coach.</summary>
    /// <param name="name">The client, <c>clients/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The client and coach.</returns>
    /// <exception cref="KetenhubException">Not found (<c>CLIENT_NOT_FOUND</c>), not allowed, or the hub could not be reached.</exception>
    public Task<GetClientResponse> GetAsync(string name, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetClientRequest { Name = name ?? string.Empty };
        return _calls.UnaryAsync(o => _client.GetClientAsync(request, o), call, cancellationToken);
    }

    /// <summary>Assigns the client's coach. A change of coach creates a handover task for the previous one.</summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="coach">The coach: party, coach id and contact details.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The care team after the change and whether a handover task was created.</returns>
    /// <exception cref="KetenhubException">The hub refused the assignment or could not be reached.</exception>
    public Task<AssignCoachResponse> AssignCoachAsync(string client, Coach coach, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(coach);
        var request = new AssignCoachRequest { RequestId = HubCalls.RequestId(call), Client = client ?? string.Empty, Coach = coach };
        return _calls.UnaryAsync(o => _client.AssignCoachAsync(request, o), call, cancellationToken);
    }

    /// <summary>Reads the client's care team: the coach and the parties currently involved.</summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The care team.</returns>
    /// <exception cref="KetenhubException">Not found, not allowed, or the hub could not be reached.</exception>
    public async Task<CareTeam> GetCareTeamAsync(string client, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetCareTeamRequest { Client = client ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.GetCareTeamAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.CareTeam;
    }

    /// <summary>
    /// The client's journey: every event in order, page after page (each page is one call with its own
    /// deadline).
    /// </summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="pageSize">Events per call; 0 for the hub's default.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The events, oldest first.</returns>
    /// <exception cref="KetenhubException">Not found, not allowed, or the hub could not be reached.</exception>
    public async IAsyncEnumerable<JourneyEvent> GetJourneyAsync(string client, int pageSize = 0, KetenhubCallOptions? call = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var token = string.Empty;
        do
        {
            var request = new ListJourneyEventsRequest { Client = client ?? string.Empty, PageSize = pageSize, PageToken = token };
            var page = await _calls.UnaryAsync(o => _client.ListJourneyEventsAsync(request, o), call, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Events)
            {
                yield return item;
            }

            token = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(token));
    }

    /// <summary>The client's access report: time to acknowledge signals, time to start care, coach changes.</summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The report.</returns>
    /// <exception cref="KetenhubException">Not found, not allowed, or the hub could not be reached.</exception>
    public Task<GetClientReportResponse> GetReportAsync(string client, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new GetClientReportRequest { Client = client ?? string.Empty };
        return _calls.UnaryAsync(o => _client.GetClientReportAsync(request, o), call, cancellationToken);
    }

    /// <summary>
    /// Records a legal representative of the client (parental authority or guardianship for a minor; mentorship,
    /// curatorship or administration for an adult). A representative's consent counts only while its representation holds.
    /// </summary>
    /// <param name="representative">The representative: client, kind, display name and start date; the end date is optional.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The recorded representative, with its name (<c>representatives/{id}</c>).</returns>
    /// <exception cref="KetenhubException">The caller has no relationship with the client, a field is invalid, or the hub could not be reached.</exception>
    public async Task<Representative> RecordRepresentativeAsync(Representative representative, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(representative);
        var request = new CreateRepresentativeRequest { RequestId = HubCalls.RequestId(call), Representative = representative };
        var response = await _calls.UnaryAsync(o => _client.CreateRepresentativeAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Representative;
    }

    /// <summary>Ends a representation; the consents that rest on it stop counting from <paramref name="endDate"/> (today when null).</summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="name">The representation, <c>representatives/{id}</c>.</param>
    /// <param name="endDate">The first day it no longer holds; null for today.</param>
    /// <param name="call">Per-call deadline and request id; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The representative after the end.</returns>
    /// <exception cref="KetenhubException">Not found, not allowed, or the hub could not be reached.</exception>
    public async Task<Representative> EndRepresentativeAsync(string client, string name, DateOnly? endDate = null, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new EndRepresentativeRequest { RequestId = HubCalls.RequestId(call), Client = client ?? string.Empty, Name = name ?? string.Empty };
        if (endDate is { } end)
        {
            request.EndDate = new Google.Type.Date { Year = end.Year, Month = end.Month, Day = end.Day };
        }

        var response = await _calls.UnaryAsync(o => _client.EndRepresentativeAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Representative;
    }

    /// <summary>The client's legal representatives, current and past, by start date.</summary>
    /// <param name="client">The client, <c>clients/{id}</c>.</param>
    /// <param name="call">Per-call deadline; null for the default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The representatives.</returns>
    /// <exception cref="KetenhubException">Not found, not allowed, or the hub could not be reached.</exception>
    public async Task<IReadOnlyList<Representative>> ListRepresentativesAsync(string client, KetenhubCallOptions? call = null, CancellationToken cancellationToken = default)
    {
        var request = new ListRepresentativesRequest { Client = client ?? string.Empty };
        var response = await _calls.UnaryAsync(o => _client.ListRepresentativesAsync(request, o), call, cancellationToken).ConfigureAwait(false);
        return response.Representatives;
    }
}
