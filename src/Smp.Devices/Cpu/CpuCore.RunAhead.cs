using System.Runtime.CompilerServices;

namespace Smp.Devices.Cpu;

// Running ahead: a CPU that runs alone, with nothing due for a while, is given several quanta in one Run (CpuActor). That
// is the same as running them one by one only while the CPU touches nothing outside itself and delivers no event (an
// event uses budget without moving the clock), so the first such instruction ends the run after it.
public sealed partial class CpuCore
{
    /// <summary>
    /// Set by the platform for a run of several quanta: the run ends after the first instruction that reaches a device
    /// (an I/O port, MMIO, the local APIC, WRMSR) or delivers an event. That instruction clears it.
    /// </summary>
    public bool StopAtDeviceOrEvent;

    /// <summary>
    /// Called once, before the first device access of such a run, so the platform can first bring the quanta the CPU's
    /// clock has passed up to date (what the access sends or schedules is then timed as quantum by quantum).
    /// </summary>
    public Action? BeforeDeviceAccess;

    /// <summary>Notes an access that reaches a device or sends a message (see <see cref="StopAtDeviceOrEvent"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NoteDeviceAccess()
    {
        if (StopAtDeviceOrEvent) EndRunAhead();
    }

    // Every port and device access passes the check above; only the first one of a run ahead gets here.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EndRunAhead()
    {
        StopAtDeviceOrEvent = false;
        BeforeDeviceAccess?.Invoke();
        RequestStop();
    }

    // An event was delivered (see StopAtDeviceOrEvent).
    private void NoteEventDelivered()
    {
        if (!StopAtDeviceOrEvent) return;
        StopAtDeviceOrEvent = false;
        RequestStop();
    }

    /// <summary>Whether a debugger or single-stepping controls the run (it then goes quantum by quantum).</summary>
    public bool RunsStepwise => _debugArmed || _debugRunLimit != long.MaxValue || _stepMode;
}
