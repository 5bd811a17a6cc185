using Smp.Devices.Cpu;
using Smp.Host.Guest;

namespace Smp.Host.Stress;

// The scenario engine: restore, plant, run the cores in lock-step slices, fire injections.
internal sealed partial class StressCampaign
{
    // Runs a plan from the snapshot; returns the instructions (budget units) executed by all CPUs.
    private long Execute(ScenarioPlan plan, out bool finished)
    {
        Prepare(plan);

        long executed = 0, sinceInjection = 0;
        while (true)
        {
            bool busy = false;
            for (int i = 0; i < Cpus && !_capped; i++)
            {
                var core = _machine.Cores[i];
                var t = _trackers[i];
                bool idle = core.State != RunState.Running;
                if (t.FireDue(core, idle)) sinceInjection = 0;
                long limit = Math.Min(Slice, t.UnitsToNextInjection);
                long used = core.Run(limit);
                t.Units += used;
                t.Advance(used);
                executed += used;
                sinceInjection += used;
                if (used > 0) busy = true;
                if (t.FireDue(core, false)) sinceInjection = 0;
            }

            if (_capped) { finished = false; break; }
            bool pending = false;
            foreach (var t in _trackers) pending |= t.HasPending;
            if (!busy && !pending) { finished = true; break; }
            if (sinceInjection > TailBudget) { finished = false; break; }
        }
        _plan = null;
        return executed;
    }

    // Restores the snapshot (RAM, cores, the conductor's clock) and plants the plan's INT1 requests and breakpoints.
    private void Prepare(ScenarioPlan plan)
    {
        LastRestoredPages = _snapshot.Restore(_machine);
        _monitor.Clear();
        _violations.Clear();
        _expected.Clear();
        _console.Clear();
        _capped = false;
        _plan = plan;
        foreach (var t in _trackers) t.Reset(plan);
        // A debugger-planted INT1: set int1_request in guest RAM (the next restore puts the page back).
        foreach (int c in plan.Int1Requests) _machine.Memory.Write(KernelImage.Int1RequestAddress(c), 8, 1);
        foreach (var bp in plan.Breakpoints)
        {
            var core = _machine.Cores[bp.Cpu];
            core.TryWriteDr(bp.Slot, bp.Address);
            core.TryWriteDr(7, core.Dr7 | bp.Dr7Bits);
        }
    }

    private void OnDetected(CpuCore cpu, StressViolation v)
    {
        if (_plan is null) return;
        int index = _indexOfApic[cpu.ApicId];
        var tracker = _trackers[index];
        var view = new GuestMemoryView(cpu);
        bool delivery = v.Vector >= 0 && v.Kind is not (StressViolationKind.NmiLost or StressViolationKind.NmiDoubled);
        var context = delivery
            ? OopsContext.Interrupted(cpu, view, cpu.R[Reg.RSP], HasErrorCode(v.Vector))
            : OopsContext.Of(cpu);
        if (delivery && !StacksContain(index, context.Rsp)) context = OopsContext.Of(cpu);
        var live = new List<LiveFrame>(_monitor.LiveFrames(cpu.ApicId));
        if (delivery)
        {
            // The frame this delivery just pushed (the monitor adds it to the live ones after reporting).
            ulong rsp = cpu.R[Reg.RSP], size = HasErrorCode(v.Vector) ? 48UL : 40UL;
            live.Add(new LiveFrame(v.Vector, v.Ist, rsp, rsp + size, 0, v.Rip, context.Rsp, cpu.SimulatedNanoseconds, cpu.InstructionsRetired, 0));
        }
        var slots = new List<ulong>(live.Count + 1);
        foreach (var f in live) slots.Add(f.RipSlot);
        slots.Add(cpu.R[Reg.RSP] + (HasErrorCode(v.Vector) ? 8UL : 0));
        string oops = Oops.Write(cpu, v with { Cpu = index }, context, _symbols, _stacks[index], slots);
        oops = StressOopsText.Complete(oops, cpu, live, _symbols, _stacks[index], slots, Vector.Name);
        var finding = new StressFinding(_plan.Seed, _plan.Name, v.Kind, index, v.Vector, v.Ist, v.Rip, v.Details, oops);
        // The DB2 hole exists to turn a third nested #DB into a #DF (Linux 5.2–5.7): that outcome is expected.
        if (tracker.HitGuardHole && v.Kind is StressViolationKind.DoubleFault or StressViolationKind.StackGuardHit)
            _expected.Add(finding);
        else
            _violations.Add(finding);
        if (_violations.Count >= ViolationCap)
        {
            _capped = true;
            cpu.RequestStop();
            if (_viaActors) _machine.Simulation.RequestStop();
        }
    }

    private bool StacksContain(int cpu, ulong address)
    {
        foreach (var s in _stacks[cpu]) if (s.Contains(address)) return true;
        return false;
    }

    private static bool HasErrorCode(int vector) => vector is 8 or 10 or 11 or 12 or 13 or 14 or 17;

    /// <summary>One CPU's side of a scenario: its injections, triggers, and the NMI contract bookkeeping.</summary>
    private sealed class CpuTracker(StressCampaign owner, int index, ulong doNmi) : CpuObserver
    {
        private readonly List<TimedInjection> _timed = [];
        private readonly List<EventTrigger> _triggers = [];
        private readonly List<(long Remaining, InjectionKind Kind)> _armed = [];
        private readonly Dictionary<int, int> _occurrences = [];
        private readonly List<(int Vector, int Occurrence)> _handlers = [];
        private int _nextTimed;
        private bool _owed;

        public long Units { get; set; }

        public long ExpectedRuns { get; private set; }

        public bool HitGuardHole { get; private set; }

        public bool HasPending => _nextTimed < _timed.Count || _armed.Count > 0;

        public long UnitsToNextInjection
        {
            get
            {
                long next = long.MaxValue;
                if (_nextTimed < _timed.Count) next = Math.Max(1, _timed[_nextTimed].At - Units);
                foreach (var a in _armed) next = Math.Min(next, Math.Max(1, a.Remaining));
                return next;
            }
        }

        public void Reset(ScenarioPlan plan)
        {
            _timed.Clear();
            foreach (var t in plan.Timed) if (t.Cpu == index) _timed.Add(t);
            _timed.Sort((a, b) => a.At.CompareTo(b.At));
            _triggers.Clear();
            foreach (var t in plan.Triggers) if (t.Cpu == index) _triggers.Add(t);
            _armed.Clear();
            _occurrences.Clear();
            _handlers.Clear();
            _nextTimed = 0;
            _owed = false;
            Units = 0;
            ExpectedRuns = 0;
            HitGuardHole = false;
        }

        public void Advance(long used)
        {
            for (int k = 0; k < _armed.Count; k++) _armed[k] = (_armed[k].Remaining - used, _armed[k].Kind);
        }

        // Fires what is due. A sleeping CPU's count does not advance, so it takes its next injection
        // at once — one at a time, so that NMIs planned apart are not collapsed into one latch.
        public bool FireDue(CpuCore core, bool idle)
        {
            if (idle)
            {
                if (_armed.Count > 0)
                {
                    Inject(core, _armed[0].Kind);
                    _armed.RemoveAt(0);
                    return true;
                }
                if (_nextTimed >= _timed.Count) return false;
                Inject(core, _timed[_nextTimed++].Kind);
                return true;
            }
            bool fired = false;
            while (_nextTimed < _timed.Count && _timed[_nextTimed].At <= Units)
            {
                Inject(core, _timed[_nextTimed++].Kind);
                fired = true;
            }
            for (int k = 0; k < _armed.Count; k++)
            {
                if (_armed[k].Remaining > 0) continue;
                Inject(core, _armed[k].Kind);
                _armed.RemoveAt(k--);
                fired = true;
            }
            return fired;
        }

        private static void Inject(CpuCore core, InjectionKind kind)
        {
            if (kind == InjectionKind.Nmi) core.InjectNmi();
            else core.SetRflags(core.GetRflags() | Rflags.TF);
        }

        public override void EventDelivered(CpuCore cpu, in EventDelivery d)
        {
            int n = _occurrences[d.Vector] = _occurrences.GetValueOrDefault(d.Vector) + 1;
            _handlers.Add((d.Vector, n));
            if (d.Kind == EventKind.Nmi && !_owed)
            {
                _owed = true;
                ExpectedRuns++;
            }
            if (d.Vector == Vector.PF && KernelImage.GuardHoleRange(index).Contains(cpu.Cr2)) HitGuardHole = true;
            foreach (var t in _triggers)
            {
                if (t.AtReturn || t.Vector != d.Vector || t.Occurrence != n) continue;
                _armed.Add((t.After, t.Kind));
                cpu.RequestStop();
            }
        }

        public override void Iret(CpuCore cpu, ulong fromRip, ulong toRip)
        {
            if (_handlers.Count == 0) return;
            var (vector, n) = _handlers[^1];
            _handlers.RemoveAt(_handlers.Count - 1);
            foreach (var t in _triggers)
                if (t.AtReturn && t.Vector == vector && t.Occurrence == n) Inject(cpu, t.Kind);
        }

        public override void FunctionEntered(CpuCore cpu, ulong address, ulong rsp)
        {
            if (address == doNmi) _owed = false;
        }

        public override string ToString() => $"CPU{index} of {owner.Cpus}";
    }
}
