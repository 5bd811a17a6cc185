namespace Smp.Devices.Platform.Actors;

/// <summary>Why a machine run ended.</summary>
public enum StopReason
{
    /// <summary>Still running (or never started).</summary>
    None,

    /// <summary>The guest wrote the debug-exit port.</summary>
    DebugExit,

    /// <summary>A CPU entered shutdown (triple fault).</summary>
    Shutdown,

    /// <summary>The instruction budget ran out.</summary>
    BudgetExhausted,

    /// <summary>Every CPU was idle (halted with nothing pending, or waiting for SIPI) and no event was due.</summary>
    AllIdle,

    /// <summary>The simulated-time limit was reached.</summary>
    TimeLimit,

    /// <summary>An actor failed (a simulator bug).</summary>
    ActorFailure,

    /// <summary>The guest powered the machine off (ACPI S5).</summary>
    PowerOff,

    /// <summary>The guest reset the machine (the i8042 reset line, port 92h, the 0xCF9 reset register); the run ends, as QEMU's -no-reboot.</summary>
    Reset,

    /// <summary>The guest kernel panicked: it printed the last line of its panic, after which it only spins.</summary>
    GuestPanic,

    /// <summary>A debugger killed the run (gdb's <c>kill</c>) where it stood.</summary>
    DebuggerKill,
}

/// <summary>
/// The state a run's actors share besides messages: the instruction budget and the first stop request.
/// Thread-safe (parallel mode runs CPU actors concurrently).
/// </summary>
public sealed class RunControl
{
    private readonly Lock _lock = new();
    private long _remaining;

    /// <summary>Creates the control with <paramref name="instructionBudget"/> instructions over all CPUs.</summary>
    /// <param name="instructionBudget">The budget (long.MaxValue: unlimited).</param>
    public RunControl(long instructionBudget) => _remaining = instructionBudget;

    /// <summary>Instructions (budget units) executed so far over all CPUs.</summary>
    public long Executed { get; private set; }

    /// <summary>Why the run stops, once a stop was requested.</summary>
    public StopReason Reason { get; private set; }

    /// <summary>True once a stop was requested: CPU actors stop executing.</summary>
    public bool Stopping => Reason != StopReason.None;

    /// <summary>The debug-exit code, for <see cref="StopReason.DebugExit"/>.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>The CPU that shut down (<see cref="StopReason.Shutdown"/>) or whose kernel panicked (<see cref="StopReason.GuestPanic"/>).</summary>
    public int? ShutdownCpu { get; private set; }

    /// <summary>The shutdown reason text (<see cref="StopReason.Shutdown"/>) or where the kernel panicked (<see cref="StopReason.GuestPanic"/>).</summary>
    public string? ShutdownReason { get; private set; }

    /// <summary>What reset the machine, for <see cref="StopReason.Reset"/>.</summary>
    public string? ResetSource { get; private set; }

    /// <summary>How many times CPUs reserved budget: one per run of a core (a quantum, or several run ahead).</summary>
    public long Reservations { get; private set; }

    /// <summary>Takes up to <paramref name="wanted"/> instructions from the budget; 0 when it is spent (the run then stops).</summary>
    /// <param name="wanted">The instructions a CPU wants to run.</param>
    /// <returns>The instructions granted.</returns>
    public long Reserve(long wanted)
    {
        lock (_lock)
        {
            Reservations++;
            long granted = Math.Min(wanted, _remaining);
            _remaining -= granted;
            if (granted == 0 && !Stopping) Reason = StopReason.BudgetExhausted;
            return granted;
        }
    }

    /// <summary>Returns the unused part of a reservation and counts the used part.</summary>
    /// <param name="granted">What <see cref="Reserve"/> granted.</param>
    /// <param name="used">What the CPU used.</param>
    public void Settle(long granted, long used)
    {
        lock (_lock)
        {
            Executed += used;
            if (used < granted) _remaining += granted - used;
        }
    }

    /// <summary>Requests a stop because the guest wrote the debug-exit port (the first request wins).</summary>
    /// <param name="code">The process exit code.</param>
    public void RequestExit(int code)
    {
        lock (_lock)
        {
            if (Stopping) return;
            Reason = StopReason.DebugExit;
            ExitCode = code;
        }
    }

    /// <summary>Requests a stop because CPU <paramref name="cpu"/> shut down.</summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="reason">The shutdown reason.</param>
    public void RequestShutdown(int cpu, string reason)
    {
        lock (_lock)
        {
            if (Stopping) return;
            Reason = StopReason.Shutdown;
            ShutdownCpu = cpu;
            ShutdownReason = reason;
        }
    }

    /// <summary>Requests a stop because the guest powered the machine off.</summary>
    public void RequestPowerOff()
    {
        lock (_lock)
        {
            if (!Stopping) Reason = StopReason.PowerOff;
        }
    }

    /// <summary>
    /// Requests a stop because the guest kernel panicked on CPU <paramref name="cpu"/> (recorded as
    /// <see cref="ShutdownCpu"/> and <see cref="ShutdownReason"/>).
    /// </summary>
    /// <param name="cpu">The CPU index.</param>
    /// <param name="reason">Where the kernel was, for the report.</param>
    public void RequestPanic(int cpu, string reason)
    {
        lock (_lock)
        {
            if (Stopping) return;
            Reason = StopReason.GuestPanic;
            ShutdownCpu = cpu;
            ShutdownReason = reason;
        }
    }

    /// <summary>Requests a stop because the guest reset the machine through <paramref name="source"/>.</summary>
    /// <param name="source">What drove the reset.</param>
    public void RequestReset(string source)
    {
        lock (_lock)
        {
            if (Stopping) return;
            Reason = StopReason.Reset;
            ResetSource = source;
        }
    }

    /// <summary>Forgets why the last run stopped, so that the machine can run again (after a snapshot restore).</summary>
    public void Rearm()
    {
        lock (_lock)
        {
            Reason = StopReason.None;
            ExitCode = null;
            ShutdownCpu = null;
            ShutdownReason = null;
            ResetSource = null;
        }
    }

    /// <summary>Marks the stop reason when the run ended for an outside reason (idle, time limit, failure).</summary>
    /// <param name="reason">The reason.</param>
    public void Finish(StopReason reason)
    {
        lock (_lock)
        {
            if (!Stopping) Reason = reason;
        }
    }
}
