using Ketenhub.Hub.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddKetenhub();

var app = builder.Build();
app.MapKetenhub();
app.Run();

/// <summary>The host's entry point; public so integration tests can start it with WebApplicationFactory.</summary>
public partial class Program;
