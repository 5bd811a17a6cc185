using Smp.Devices.Cpu;
using Smp.Devices.Platform;
using Smp.Devices.Snapshots;

namespace Smp.Host.Stress;

/// <summary>
/// A checkpoint of a quiescent <see cref="Machine"/>: all of RAM (<see cref="Devices.Memory.PhysicalMemory.TakeSnapshot"/>)
/// and every <see cref="CpuCore"/>'s architectural state including its clock (<see cref="CpuCore.SaveState"/>).
/// <see cref="Restore"/> puts both back; RAM costs only the pages written since the last capture or
/// restore, so restoring after a short scenario costs microseconds.
/// </summary>
/// <remarks>
/// <para><b>When:</b> capture only when the simulation is idle (<see cref="Smp.Actors.Simulation.IsIdle"/>:
/// no message or timer pending — a boot that ended with <c>AllIdle</c>). Then every CPU actor is asleep with
/// its flags at rest (not scheduled, not waiting for the BIOS, sleep reported), which is also the state a
/// scenario leaves them in, whether it drove the cores synchronously (<see cref="CpuCore.Run"/> with exact
/// instruction counts) or ran the actors until every CPU idled again. <see cref="Restore"/> also calls
/// <see cref="Machine.Rewind"/>: the conductor's clock goes back to <see cref="ActorTime"/> with nothing pending
/// and the run control forgets the boot's <c>AllIdle</c>, so a scenario run through the actors replays exactly.</para>
/// <para><b>Time:</b> the cores' clocks (cycle counters, TSC offsets, instructions retired) are part of
/// the CPU state, so after a restore each scenario starts at exactly the captured time and instruction
/// count, whatever ran before; replaying one seed is therefore byte-identical in any campaign.</para>
/// <para><b>Devices not captured, and why that is sound for stress scenarios:</b> the local APICs (NMIs are
/// latched at the core's NMI pin, as <c>CpuActor</c> does for an <c>NmiIpi</c>, and the NMI/#DB/#BP/#PF/#DF
/// handlers never touch APIC registers); PIC, PIT, CMOS, I/O APIC (no handler does port I/O to them);
/// the UART: only printk on the #DF and oops paths writes it, and a THR write with interrupts disabled
/// (the kernel's early console) leaves its state unchanged (LSR always reports the transmitter empty).
/// The platform's own device clock only moves forward; no scenario reads a device whose state depends on it.</para>
/// </remarks>
public sealed class MachineSnapshot : IDisposable
{
    private readonly MemorySnapshot _memory;
    private readonly CpuState[] _cpus;

    private MachineSnapshot(MemorySnapshot memory, CpuState[] cpus, long actorTime)
    {
        _memory = memory;
        _cpus = cpus;
        ActorTime = actorTime;
    }

    /// <summary>The actor system's simulated time at capture (ns).</summary>
    public long ActorTime { get; }

    /// <summary>The captured CPU states, by CPU index.</summary>
    public IReadOnlyList<CpuState> Cpus => _cpus;

    /// <summary>Captures <paramref name="machine"/>; it must be quiescent (no actor message or timer pending).</summary>
    /// <param name="machine">The machine, after a run that ended idle.</param>
    /// <returns>The snapshot (dispose it to free its copy of RAM).</returns>
    /// <exception cref="InvalidOperationException">The actor system still has messages pending.</exception>
    public static MachineSnapshot Capture(Machine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        if (!machine.Simulation.IsIdle)
            throw new InvalidOperationException("A machine snapshot needs a quiescent machine (actor messages are still pending).");
        var cpus = new CpuState[machine.Cores.Count];
        for (int i = 0; i < cpus.Length; i++) cpus[i] = machine.Cores[i].SaveState();
        return new MachineSnapshot(machine.Memory.TakeSnapshot(), cpus, machine.Simulation.Now);
    }

    /// <summary>Puts RAM and every core back as captured (call it while no CPU runs).</summary>
    /// <param name="machine">The machine the snapshot was taken of.</param>
    /// <returns>The number of RAM pages copied back.</returns>
    public int Restore(Machine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        int pages = machine.Memory.Restore(_memory);
        for (int i = 0; i < _cpus.Length; i++) machine.Cores[i].RestoreState(_cpus[i]);
        machine.Rewind(ActorTime);
        return pages;
    }

    /// <summary>Frees the copy of RAM.</summary>
    public void Dispose() => _memory.Dispose();
}
