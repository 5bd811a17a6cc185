using Smp.Host;

return SmpCli.Run(args, Console.Out, Console.Error);
