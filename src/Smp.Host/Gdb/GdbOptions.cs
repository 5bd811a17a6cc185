namespace Smp.Host.Gdb;

/// <summary>The gdb stub a run asked for: where it listens and whether the machine waits for gdb before it starts.</summary>
/// <param name="Endpoint">Where to listen.</param>
/// <param name="WaitForGdb">Start stopped at the reset vector until gdb continues (QEMU's <c>-S</c>).</param>
internal sealed record GdbOptions(GdbEndpoint Endpoint, bool WaitForGdb);
