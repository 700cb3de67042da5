namespace Ketenhub.Hub.Host;

/// <summary>What <c>Ketenhub.Hub --help</c> prints: how to serve, and the command-line modes.</summary>
public static class HubHelp
{
    public const string Text = """
        Ketenhub hub.

        Usage:
          Ketenhub.Hub [--Section:Setting value ...]          serve (gRPC; FHIR and iWmo on the partner endpoint)
          Ketenhub.Hub audit verify [--expect-head S:H] [--checkpoint-key FILE]
                                                               check the audit trail's hash chain and checkpoints, then exit
          Ketenhub.Hub backup --to FILE                        online backup of the SQLite database, safe while the hub serves
          Ketenhub.Hub reencrypt-bsn                           rewrite stored BSNs and sealed documents under the active key
          Ketenhub.Hub erase --client NAME --ground GROUND --officer USER [--party PARTY]
                                                               erase a client at a privacy officer's request (AVG art. 17),
                                                               refused while a legal retention applies; see docs/privacy.md
          Ketenhub.Hub --help                                  this text

        Every mode takes the hub's settings (appsettings.json, the environment, --Section:Setting value), for example
        --Storage:DataDirectory FOLDER. The environment is ASPNETCORE_ENVIRONMENT (Production when unset outside
        `dotnet run`). See docs/operations.md.

        """;
}
