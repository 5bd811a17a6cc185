using Smp.Actors;
using Smp.Devices.Cpu;
using Smp.Devices.Platform.Apic;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Platform.Actors;

/// <summary>
/// One logical CPU: owns a <see cref="CpuCore"/> and its <see cref="LocalApic"/>. Each <see cref="RunQuantum"/>
/// runs the core until its clock reaches the quantum's end, then the actor tells itself the next one. A CPU
/// in HLT (nothing deliverable), wait-for-SIPI, shutdown, or waiting for a <see cref="BiosReturn"/> sends
/// nothing and costs nothing; a message that wakes it brings its clock forward to the message's time
/// (<see cref="CpuCore.AdvanceIdleCycles"/>), so the TSC and the APIC timer stay on the global clock.
/// </summary>
public sealed partial class CpuActor : SimActor
{
    private const string ApicTimerKey = "apic-timer", DeviceTimerKey = "device";

    // About 1 ms of simulated time at the default 1 µs quantum: the continued quanta of one delivery.
    private const int MaxContinuedQuanta = 1000;

    private readonly int _index;
    private readonly CpuCore _core;
    private readonly LocalApic _apic;
    private readonly CpuWiring _wiring;
    private readonly CpuPortView _ports;
    private bool _scheduled, _waitingBios, _reportedSleep;
    private long _apicTimerAt = -1, _deviceTimerAt = -1;

    // The slice a debugger stop interrupted (the delivery is suspended; OnDeliveryResumed runs the rest).
    private (long Granted, long Used, long Until)? _suspendedSlice;

    /// <summary>Creates the actor for CPU <paramref name="index"/>; it attaches <paramref name="apic"/> and a port view to <paramref name="core"/>.</summary>
    /// <param name="index">The CPU index (0 is the BSP).</param>
    /// <param name="core">The core.</param>
    /// <param name="apic">Its local APIC.</param>
    /// <param name="wiring">The actors and devices it talks to.</param>
    public CpuActor(int index, CpuCore core, LocalApic apic, CpuWiring wiring)
    {
        _index = index;
        _core = core;
        _apic = apic;
        _wiring = wiring;
        _ports = new CpuPortView(core, wiring, wiring.ClockedPlatform);
        core.Ports = _ports;
        core.LocalApicMmio = apic;
        core.LocalApicRegisters = apic;
        core.InterruptSource = apic;
        apic.Core = core;
        apic.Clock = () => core.SimulatedNanoseconds;
        apic.IpiSent += ipi => TellIfWired(wiring.Bus, ipi);
        apic.RoutingChanged += () => TellIfWired(wiring.Bus, new LocalApicState(index, apic.Id, apic.Ldr, apic.Dfr, apic.Tpr, apic.HardwareEnabled, apic.X2ApicMode));
        apic.NmiRequested += core.InjectNmi;
        apic.SelfIpiAccepted += (mode, vector) => wiring.Observer?.IpiRouted(index, index, mode, vector, core.SimulatedNanoseconds, core.SimulatedNanoseconds);
        if (wiring.LevelEoi is { } eoi) apic.LevelEoi += eoi;

        Receive<RunQuantum>(_ =>
        {
            _scheduled = false;
            RunSlices();
        });
        Receive<FixedInterrupt>(m =>
        {
            _apic.AcceptInterrupt(m.Vector, m.LevelTriggered);
            Wake();
        });
        Receive<NmiIpi>(_ =>
        {
            _core.InjectNmi();
            Wake();
        });
        Receive<InitIpi>(_ =>
        {
            SyncClock();
            _core.Init();
            _apic.InitReset();
            _wiring.Observer?.InitAccepted(_index, Sim.Now);
            _waitingBios = false;
            Wake();
        });
        Receive<InitDeassert>(_ => { });
        Receive<StartupIpi>(m =>
        {
            SyncClock();
            if (!_core.StartupIpi(m.Vector)) return;
            _wiring.Observer?.SipiAccepted(_index, m.Vector, Sim.Now);
            Wake();
        });
        Receive<ApicTimerDue>(_ =>
        {
            _apicTimerAt = -1;
            Wake();
        });
        Receive<DeviceEventDue>(_ =>
        {
            _deviceTimerAt = -1;
            AdvanceDevices(Sim.Now);
            Wake();
        });
        Receive<ExtIntChanged>(m =>
        {
            _apic.SetLint0(m.Level);
            Wake();
        });
        Receive<BiosReturn>(m =>
        {
            if (!_waitingBios) return;
            _waitingBios = false;
            m.Registers.ApplyTo(_core);
            Wake();
        });
    }

    /// <summary>The CPU index.</summary>
    public int Index => _index;

    private void TellIfWired(Akka.Actor.IActorRef? target, object message)
    {
        // Simulation.Tell: stamped by this actor inside its handlers, an outside send when the core is driven directly.
        if (target is null) return;
        _core.NoteDeviceAccess(); // running ahead, a send waits until the quanta the clock passed are continued
        Sim.Simulation.Tell(target, message);
    }

    private void Wake()
    {
        _reportedSleep = false;
        if (!_scheduled && !_waitingBios) RunSlices();
    }

    // A sleeping CPU's clock catches up with the global clock when it wakes.
    private void SyncClock()
    {
        long behind = Sim.Now - _core.SimulatedNanoseconds;
        if (behind <= 0) return;
        ulong cycles = ClockMath.MulDivCeiling((ulong)behind, (ulong)_core.FrequencyHz, 1_000_000_000UL);
        _core.AdvanceIdleCycles(cycles);
    }

    // What the start of a quantum sees at `now`: the devices brought up to it, and the APIC timer if it is due.
    private void BeginQuantum(long now)
    {
        AdvanceDevices(now);
        _apic.PollTimer(now);
    }

    private void AdvanceDevices(long now)
    {
        if (_wiring.ClockedPlatform is not { } platform) return;
        if (!_wiring.DevicesShared)
        {
            platform.AdvanceTo(now);
            return;
        }

        lock (_wiring.DeviceLock) platform.AdvanceTo(now);
    }

    // Runs slices while the CPU may continue into the next quantum without a message (it runs alone, see
    // ISimContext.TryContinue), at most MaxContinuedQuanta of them per delivery, so the lane's other work is not held up.
    private void RunSlices()
    {
        for (_continuable = MaxContinuedQuanta; RunSlice(); _continuable--)
        {
        }
    }

    // Quanta this delivery may still continue into (RunSlices).
    private int _continuable;

    // Runs the core to the quantum's end (or, running ahead, to a later one); true when it continues into the next
    // quantum within this delivery.
    private bool RunSlice()
    {
        var control = _wiring.Control;
        if (_waitingBios || control.Stopping) return false;
        SyncClock();
        long until = Sim.QuantumEnd;
        long now = _core.SimulatedNanoseconds;
        BeginQuantum(now);
        if (now < until)
        {
            long end = RunAheadEnd(until, now);
            long wanted = InstructionsBetween(now, end);
            long granted = control.Reserve(wanted);
            if (granted == 0)
            {
                Sim.RequestStop();
                return false;
            }

            long used;
            if (end > until)
            {
                (used, long quantumGrant) = RunAhead(now, granted);
                // What the quanta after the one it stopped in were given goes back at once.
                if (quantumGrant < granted) control.Settle(granted - quantumGrant, 0);
                granted = quantumGrant;
                until = Sim.QuantumEnd;
            }
            else
            {
                used = RunCore(granted);
            }

            if (SuspendForDebugger(granted, used, until)) return false;
            control.Settle(granted, used);
        }

        return FinishSlice(until, _continuable > 0);
    }

    // The instructions a slice from `now` to `until` is given: its cycles over the cycles per instruction, at least one.
    private long InstructionsBetween(long now, long until)
    {
        long cycles = (long)ClockMath.MulDiv((ulong)(until - now), (ulong)_core.FrequencyHz, 1_000_000_000UL);
        return Math.Max(1, cycles / Math.Max(1, _core.CyclesPerInstruction));
    }

    /// <summary>
    /// The rest of a slice a debugger stop suspended, at the same simulated time: the core runs the instructions left of
    /// its grant (unless it stopped for a BIOS call or the run's end as well), so the slice ends as it would have.
    /// </summary>
    protected override void OnDeliveryResumed()
    {
        var (granted, used, until) = _suspendedSlice!.Value;
        _suspendedSlice = null;
        var control = _wiring.Control;
        if (_ports.PendingTrap is null && !control.Stopping) used += RunCore(granted - used);
        if (SuspendForDebugger(granted, used, until)) return;
        control.Settle(granted, used);
        if (FinishSlice(until, mayContinue: true)) RunSlices();
    }

    private long RunCore(long budget)
    {
        ExecutingCpu.Enter(_core); // MMIO devices read this CPU's clock
        try
        {
            return _core.Run(budget);
        }
        finally
        {
            ExecutingCpu.Leave();
        }
    }

    private bool SuspendForDebugger(long granted, long used, long until)
    {
        if (!_core.CheckDebugStop()) return false;
        _suspendedSlice = (granted, used, until);
        Sim.SuspendDelivery();
        return true;
    }

    private bool FinishSlice(long until, bool mayContinue)
    {
        var control = _wiring.Control;
        if (_ports.PendingTrap is { } port)
        {
            _ports.PendingTrap = null;
            _waitingBios = true;
            TellIfWired(_wiring.Bios, new BiosCall(_index, port, BiosRegisters.Capture(_core)));
            return false;
        }

        if (control.Stopping)
        {
            Sim.RequestStop();
            return false;
        }

        switch (_core.State)
        {
            case RunState.Running:
                var next = new RunQuantum(until);
                if (mayContinue && Sim.TryContinue(next)) return true;
                _scheduled = true;
                Sim.Tell(Self, next);
                break;
            case RunState.Shutdown:
                if (!_reportedSleep)
                {
                    string reason = _core.ShutdownReason ?? "shutdown";
                    control.RequestShutdown(_index, reason);
                    TellIfWired(_wiring.Monitor, new CpuShutdown(_index, reason));
                    Sim.RequestStop();
                }

                _reportedSleep = true;
                break;
            default:
                if (!_reportedSleep && _core.State == RunState.Halted) TellIfWired(_wiring.Monitor, new CpuHalted(_index));
                _reportedSleep = true;
                ArmWakeups();
                break;
        }

        return false;
    }

    // A sleeping CPU is woken by messages; its own timed events become self-messages.
    private void ArmWakeups()
    {
        if (_apic.TimerDeadline is { } deadline && deadline != _apicTimerAt)
        {
            _apicTimerAt = deadline;
            Timers.StartSingle(ApicTimerKey, new ApicTimerDue(), Math.Max(0, deadline - Sim.Now));
        }

        if (_wiring.ClockedPlatform?.NextEventTime is { } next && next != _deviceTimerAt)
        {
            _deviceTimerAt = next;
            Timers.StartSingle(DeviceTimerKey, new DeviceEventDue(), Math.Max(0, next - Sim.Now));
        }
    }
}
