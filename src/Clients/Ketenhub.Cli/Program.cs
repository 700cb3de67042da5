using Ketenhub.Cli;

return await KetenhubCli.RunAsync(args, CliHost.FromProcess()).ConfigureAwait(false);
