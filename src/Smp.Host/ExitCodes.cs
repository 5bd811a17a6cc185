namespace Smp.Host;

/// <summary>
/// The process exit codes of <c>smp</c>, in one place. Besides these, <c>smp run</c> exits with the
/// guest's own code when it writes the isa-debug-exit port 0xF4: (value &lt;&lt; 1) | 1, an odd
/// number, as QEMU does. The simulator's own codes beyond 2 are even so they cannot be
/// mistaken for a guest's.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Bad command line: unknown command or option, missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>The guest shut the machine down (triple fault); a report is printed.</summary>
    public const int GuestShutdown = 4;

    /// <summary>The instruction budget (<c>--max-instructions</c>) ran out; a report is printed.</summary>
    public const int BudgetExhausted = 6;

    /// <summary>Every CPU went idle (halted with nothing pending, or waiting for SIPI) with no event due: the guest can never continue.</summary>
    public const int MachineIdle = 10;

    /// <summary>A stress campaign found violations (IST clobbering, lost or doubled NMIs).</summary>
    public const int StressViolations = 8;

    /// <summary>A bug in the simulator: one sentence on stderr (the stack trace with <c>SMP_DEBUG=1</c>).</summary>
    public const int InternalError = 70;

    /// <summary><c>smp boot</c>: not every CPU came online and idle; the CPUs that did not and their last phase are named.</summary>
    public const int BootIncomplete = 12;

    /// <summary>
    /// The work was done but an output it should have produced could not be written: a trace export (<c>--trace</c>,
    /// <c>--chrome-trace</c>, <c>--timeline</c>, <c>--otlp</c>) or <c>smp stress --report</c>; one sentence per failed
    /// output. It replaces only a success (0) or the guest's own <c>smp run</c> exit code, never another of
    /// these codes, which say more.
    /// </summary>
    public const int ExportFailed = 14;

    /// <summary>
    /// The exit code of a run that produced <paramref name="outcome"/> and whose outputs were (or were not) all
    /// written: a failed export turns a success or a guest's own code into <see cref="ExportFailed"/>.
    /// </summary>
    /// <param name="outcome">The run's own exit code.</param>
    /// <param name="exported">Whether every requested output was written.</param>
    /// <returns>The process exit code.</returns>
    public static int AfterExport(int outcome, bool exported) =>
        exported || (outcome != Ok && (outcome & 1) == 0) ? outcome : ExportFailed;

    /// <summary>The guest powered the machine off through ACPI S5 (PM1a_CNT SLP_EN with the soft-off sleep type).</summary>
    public const int GuestPowerOff = 16;

    /// <summary>The guest reset the machine (the i8042 reset line, port 92h, or the 0xCF9 reset register); the run ends there, as QEMU's -no-reboot.</summary>
    public const int GuestReset = 18;

    /// <summary>
    /// SIGINT or SIGTERM stopped a stress campaign (or a worker) before every seed ran: the seeds completed are in the
    /// report, marked partial, and <c>smp stress --resume REPORT</c> continues it.
    /// </summary>
    public const int Interrupted = 20;

    /// <summary><c>smp worker</c>: no coordinator could be reached at <c>--join</c> (or none came back) within <c>--wait</c>.</summary>
    public const int CoordinatorUnreachable = 22;

    /// <summary>
    /// The guest Linux kernel panicked: <c>panic()</c> printed its last line ("---[ end Kernel panic"), after which it
    /// only spins; the report names the CPU and, with <c>--symbols</c>, the last watched function before the panic.
    /// With <c>panic=-1</c> Linux reboots instead, and the run ends with <see cref="GuestReset"/>.
    /// </summary>
    public const int GuestPanic = 24;
}
