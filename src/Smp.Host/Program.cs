using Smp.Host;

// Akka.NET's actor system takes a few hundred ms of CPU to start: let it start on another core while the command
// parses its options and builds or loads the guest.
Smp.Actors.SimulationConfig.Prewarm();
return SmpCli.Run(args, Console.Out, Console.Error);
