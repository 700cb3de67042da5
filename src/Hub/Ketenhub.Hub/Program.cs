using Ketenhub.Hub.Host;

// Settings and the demo configuration sit next to the binary, so the hub starts the same from any folder.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddKetenhub();

var app = builder.Build();
app.MapKetenhub();
app.Run();

/// <summary>The host's entry point; public so integration tests can start it with WebApplicationFactory.</summary>
public partial class Program;
