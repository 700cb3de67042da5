using System.Text;
using System.Text.Json;
using Ketenhub.Adapters;
using Ketenhub.Adapters.Webhooks;
using Ketenhub.Hub.Common;
using Ketenhub.Hub.Delivery;
using Ketenhub.Hub.Host.Clients;
using Ketenhub.Hub.Host.Transport;

namespace Ketenhub.Hub.Host.Inbound;

/// <summary>
/// Where the recipient of a lean webhook event ("informatiearm": a <c>dataref</c> instead of the content, NL GOV profile
/// for CloudEvents) fetches the content: <c>GET /webhooks/v1/deliveries/{id}</c> on the partner endpoint, identified like
/// any call (client certificate or bearer token). Only the delivery's recipient, a party on the WEBHOOK channel, and only
/// while consent still covers the content (<see cref="DeliveryQueue.FetchAsync"/>); the answer is exactly the <c>data</c>
/// a full event of the same delivery carries. Refusals are problem details (<c>application/problem+json</c>).
/// </summary>
public static class WebhookFetch
{
    /// <summary>The route, relative to the hub's root.</summary>
    public const string Route = "/" + WebhookAdapter.FetchPath + "{id}";

    public static WebApplication MapKetenhubWebhookFetch(this WebApplication app)
    {
        app.MapGet(Route, (HttpContext http, string id) => FetchAsync(http, id)).WithMetadata(new ProblemFormat(), PartnerRoute.Instance);
        return app;
    }

    private static async Task FetchAsync(HttpContext http, string id)
    {
        var services = http.RequestServices;
        var party = http.Caller().Party;
        if (party.Channel != DeliveryChannel.Webhook)
        {
            throw HubException.Denied(ErrorReasons.ChannelMismatch, "Only a party on the WEBHOOK channel fetches webhook content here.");
        }

        var fetched = await services.GetRequiredService<DeliveryQueue>().FetchAsync(party, "deliveries/" + id, http.RequestAborted).ConfigureAwait(false);
        var delivery = ContractMapping.ToContract(fetched.Delivery, fetched.Payload, fetched.Coach, fetched.Client);
        services.GetRequiredService<ClientNameRewriter>().Outbound(delivery, party.Id);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(WebhookAdapter.DataOf(delivery)), http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A refusal as RFC 9457 problem details, with the hub's reason as <c>code</c>.</summary>
    internal sealed class ProblemFormat : IRefusalFormat
    {
        public Task WriteAsync(HttpContext http, Google.Rpc.Status refusal)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("type", "https://ketenhub.nl/problems/" + HubErrors.ReasonOf(refusal));
                json.WriteString("title", HubErrors.ReasonOf(refusal));
                json.WriteNumber("status", http.Response.StatusCode);
                json.WriteString("code", HubErrors.ReasonOf(refusal));
                json.WriteString("detail", refusal.Message);
                json.WriteEndObject();
            }

            http.Response.ContentType = "application/problem+json";
            return http.Response.Body.WriteAsync(buffer.ToArray(), http.RequestAborted).AsTask();
        }
    }
}
