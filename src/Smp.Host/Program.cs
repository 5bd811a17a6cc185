using Smp.Host;

// Akka.NET's actor system takes a few hundred ms of CPU to start: for the commands that run a machine, let it start on
// another core while the command parses its options and builds or loads the guest.
if (args is ["boot" or "run" or "stress" or "worker" or "bench", ..] && !args.Contains("--help") && !args.Contains("-h"))
{
    Smp.Actors.SimulationConfig.Prewarm();
}

return SmpCli.Run(args, Console.Out, Console.Error);
