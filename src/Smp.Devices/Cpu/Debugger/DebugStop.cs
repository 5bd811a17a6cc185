namespace Smp.Devices.Cpu.Debugger;

/// <summary>A CPU's stop for a debugger: why, where, and for a watchpoint which one and the address accessed.</summary>
/// <param name="Kind">Why it stopped.</param>
/// <param name="LinearIp">The linear address of the next instruction (CS base + RIP).</param>
/// <param name="Watch">The watchpoint that triggered, for <see cref="DebugStopKind.Watchpoint"/>.</param>
/// <param name="DataAddress">The first accessed address inside the watched range, for <see cref="DebugStopKind.Watchpoint"/>.</param>
public readonly record struct DebugStop(DebugStopKind Kind, ulong LinearIp, Watchpoint? Watch = null, ulong DataAddress = 0);
