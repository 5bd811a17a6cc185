using Smp.Devices.Cpu;

namespace Smp.Devices.Platform.Actors;

// Running ahead. A CPU that runs alone continues from quantum to quantum without messages (TryContinue), but each
// quantum still ended its run: translated code left at the budget's end, the interpreter ran the rest of a block, the
// next run started in the middle of one, and the slice's bookkeeping ran again; on Linux's decompressor that was a third
// of the time. When nothing can happen at the next quantum boundaries (no other envelope due, no device or APIC timer
// event before them), the CPU is given all those quanta in one run. It is the same as running them one by one as long
// as the CPU reaches no device and delivers no event: the first instruction that does ends the run after it
// (CpuCore.StopAtDeviceOrEvent), the quanta its clock passed are then continued as they would have been (the device
// access waits for that, so what it sends is stamped in its own quantum), and the rest of its quantum runs as usual.
public sealed partial class CpuActor
{
    // At most this many quanta in one run (the delivery's continued quanta bound it too).
    private const int MaxRunAheadQuanta = 256;

    // Most quanta run one by one after a run ahead that ended in its first quantum.
    private const int MaxRunAheadPause = 64;

    // A CPU that polls a device ends every run ahead within a few instructions, and each one costs more than the quantum
    // it saves: after a run ahead that ended in its first quantum, the next ones wait 1, 2, 4 ... 64 quanta (any choice
    // here only changes how fast the simulation goes, never what the guest sees).
    private int _runAheadPause, _runAheadBackoff;

    // The quantum end a slice from `now` may run to: `until`, or a later quantum end when the CPU may run ahead.
    private long RunAheadEnd(long until, long now)
    {
        if (!_wiring.RunAhead || _continuable <= 1) return until;
        if (_runAheadPause > 0)
        {
            _runAheadPause--;
            return until;
        }

        long quantum = Sim.Simulation.Quantum;
        if (_core.RunsStepwise || !Aligned(now, until, quantum)) return until;

        long horizon = Sim.ContinuationHorizon();
        if (horizon == long.MinValue) return until;

        // An event due at t is seen at the first quantum boundary at or after t; the run may end there.
        long end = Math.Min(horizon, until + (Math.Min(_continuable, MaxRunAheadQuanta) - 1) * quantum);
        if (_apic.TimerDeadline is { } deadline) end = Math.Min(end, BoundaryAtOrAfter(deadline, quantum));
        if (_wiring.ClockedPlatform?.NextEventTime is { } next) end = Math.Min(end, BoundaryAtOrAfter(next, quantum));
        end -= end % quantum;
        return end > until ? end : until;
    }

    private static long BoundaryAtOrAfter(long time, long quantum) =>
        time <= 0 ? 0 : time % quantum == 0 ? time : time - (time % quantum) + quantum;

    // Quantum by quantum the CPU is given a whole number of instructions that lands its clock exactly on each boundary
    // when its clock is on a whole nanosecond and each slice is a whole number of instructions (true at 1 GHz and one
    // cycle per instruction); otherwise each slice's rounding matters and the CPU does not run ahead.
    private bool Aligned(long now, long until, long quantum)
    {
        ulong frequency = (ulong)_core.FrequencyHz;
        long cpi = Math.Max(1, _core.CyclesPerInstruction);
        if (cpi == 1 && frequency % 1_000_000_000UL == 0) return true; // whole cycles per nanosecond, one per instruction
        return (UInt128)_core.ElapsedCycles * 1_000_000_000UL % frequency == 0
            && WholeInstructions(until - now, frequency, cpi) && WholeInstructions(quantum, frequency, cpi);
    }

    private static bool WholeInstructions(long nanoseconds, ulong frequency, long cpi)
    {
        var cycles = (UInt128)(ulong)nanoseconds * frequency;
        return cycles % 1_000_000_000UL == 0 && cycles / 1_000_000_000UL % (ulong)cpi == 0;
    }

    // Runs `granted` instructions (the quanta from `now` to a later boundary) in one go. Returns the budget used and the
    // part of the grant up to the end of the quantum the CPU stopped in, the conductor having continued into that quantum.
    private (long Used, long Granted) RunAhead(long now, long granted)
    {
        long firstEnd = Sim.QuantumEnd;
        _core.StopAtDeviceOrEvent = true;
        _core.BeforeDeviceAccess = _catchUpBeforeAccess ??= CatchUpBeforeAccess;
        long used;
        try
        {
            used = RunCore(granted);
        }
        finally
        {
            _core.StopAtDeviceOrEvent = false;
            _core.BeforeDeviceAccess = null;
        }

        // The quantum of the last budget unit used: the first whose end the units up to it reach.
        while (used > 0 && InstructionsBetween(now, Sim.QuantumEnd) < used && ContinueOneQuantum())
        {
        }

        long quantumGrant = Math.Min(granted, InstructionsBetween(now, Sim.QuantumEnd));
        if (Sim.QuantumEnd == firstEnd && used < granted) _runAheadPause = _runAheadBackoff = Math.Min(Math.Max(1, _runAheadBackoff * 2), MaxRunAheadPause);
        else _runAheadBackoff = 0;
        // The rest of that quantum, as it would have run (devices and events allowed), unless the CPU stopped for good
        // reason: it halted, trapped to the BIOS, the run is stopping, or a debugger took over.
        if (used < quantumGrant && _core.State == RunState.Running && _ports.PendingTrap is null && !_wiring.Control.Stopping
            && !_core.RunsStepwise)
        {
            used += RunCore(quantumGrant - used);
        }

        return (used, quantumGrant);
    }

    private Action? _catchUpBeforeAccess;

    // Before a device access while running ahead: continue into the quantum the accessing instruction belongs to (the
    // one whose end is after the clock, which counts the instructions retired before it).
    private void CatchUpBeforeAccess()
    {
        long clock = _core.SimulatedNanoseconds;
        while (Sim.QuantumEnd <= clock && ContinueOneQuantum())
        {
        }
    }

    // What the end of a quantum and the start of the next do for a running CPU (FinishSlice, then RunSlice up to the
    // run), with the CPU's clock already past that boundary; false when the conductor cannot continue (a stop or pause
    // asked from outside: the clock then stays ahead until time catches up).
    private bool ContinueOneQuantum()
    {
        if (_continuable <= 0 || !Sim.TryContinue(new RunQuantum(Sim.QuantumEnd))) return false;
        _continuable--;
        BeginQuantum(Sim.Now);
        return true;
    }
}
