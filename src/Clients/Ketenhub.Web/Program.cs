using Ketenhub.Web;

await WebApp.Build(args).RunAsync().ConfigureAwait(false);
