using System.Globalization;
using System.Text;

namespace Smp.Host.Stress;

/// <summary>What the simulator does to a CPU at an injection point.</summary>
internal enum InjectionKind
{
    /// <summary>Latch an NMI at the core's NMI pin (what a CPU actor does for a bus-delivered NMI IPI).</summary>
    Nmi,

    /// <summary>Set RFLAGS.TF, as a debugger single-stepping the current code would.</summary>
    SingleStep,
}

/// <summary>An injection at a CPU's instruction count, relative to the scenario start.</summary>
/// <param name="Cpu">The CPU index.</param>
/// <param name="At">Instructions retired by that CPU since the scenario start (a halted CPU takes it at once).</param>
/// <param name="Kind">What to inject.</param>
internal sealed record TimedInjection(int Cpu, long At, InjectionKind Kind);

/// <summary>An injection timed relative to an event: <paramref name="After"/> instructions after the n-th delivery of a vector.</summary>
/// <param name="Cpu">The CPU index.</param>
/// <param name="Vector">The vector whose delivery arms the trigger.</param>
/// <param name="Occurrence">Which delivery of that vector in this scenario (1 = the first).</param>
/// <param name="After">Instructions after that delivery.</param>
/// <param name="Kind">What to inject.</param>
/// <param name="AtReturn">True: inject inside the IRET that returns from that delivery's handler (After is then 0).</param>
internal sealed record EventTrigger(int Cpu, int Vector, int Occurrence, long After, InjectionKind Kind, bool AtReturn = false);

/// <summary>A hardware breakpoint the simulator plants in DR0–DR3 of a CPU, as a debugger would.</summary>
/// <param name="Cpu">The CPU index.</param>
/// <param name="Slot">The debug register, 0–3.</param>
/// <param name="Symbol">What it watches, for reports (a function name or a variable).</param>
/// <param name="Address">The linear address.</param>
/// <param name="DataWrite">True for an 8-byte data-write breakpoint, false for an instruction breakpoint.</param>
internal sealed record PlantedBreakpoint(int Cpu, int Slot, string Symbol, ulong Address, bool DataWrite)
{
    /// <summary>The DR7 bits enabling this breakpoint (Ln, R/Wn, LENn; SDM Vol. 3B §17.2.4).</summary>
    public ulong Dr7Bits => (1UL << (Slot * 2)) | ((DataWrite ? 0b1001UL : 0UL) << (16 + Slot * 4));
}

/// <summary>A scenario's injections, derived from its seed.</summary>
/// <param name="Name">The scenario name.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Breakpoints">Breakpoints planted at the start.</param>
/// <param name="Timed">Injections at instruction counts.</param>
/// <param name="Triggers">Injections relative to events.</param>
/// <param name="Int1Cpus">CPUs whose <c>int1_request</c> the simulator sets in guest RAM at the start (a debugger-planted
/// INT1 in <c>nmi_handle</c>); null or empty for none.</param>
internal sealed record ScenarioPlan(string Name, ulong Seed, IReadOnlyList<PlantedBreakpoint> Breakpoints,
    IReadOnlyList<TimedInjection> Timed, IReadOnlyList<EventTrigger> Triggers, IReadOnlyList<int>? Int1Cpus = null)
{
    /// <summary>CPUs with <c>int1_request</c> set (never null).</summary>
    public IReadOnlyList<int> Int1Requests => Int1Cpus ?? [];

    /// <summary>Injections planned (INT1 requests, breakpoints, timed and event-relative ones).</summary>
    public int Injections => Int1Requests.Count + Breakpoints.Count + Timed.Count + Triggers.Count;

    /// <summary>One line describing the plan, for reports.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        void Sep() { if (sb.Length > 0) sb.Append("; "); }
        foreach (int c in Int1Requests) { Sep(); sb.Append(CultureInfo.InvariantCulture, $"INT1 (int1_request) in nmi_handle on CPU{c}"); }
        foreach (var b in Breakpoints) { Sep(); sb.Append(CultureInfo.InvariantCulture, $"DR{b.Slot} {(b.DataWrite ? "write" : "exec")} {b.Symbol} on CPU{b.Cpu}"); }
        foreach (var t in Timed) { Sep(); sb.Append(CultureInfo.InvariantCulture, $"{KindName(t.Kind)} CPU{t.Cpu} at +{t.At}"); }
        foreach (var t in Triggers)
        {
            Sep();
            string vector = Devices.Cpu.Vector.Name(t.Vector);
            sb.Append(t.AtReturn
                ? FormattableString.Invariant($"{KindName(t.Kind)} CPU{t.Cpu} inside the IRET of {vector} #{t.Occurrence}")
                : FormattableString.Invariant($"{KindName(t.Kind)} CPU{t.Cpu} {t.After} instructions after {vector} entry #{t.Occurrence}"));
        }
        return sb.ToString();
    }

    private static string KindName(InjectionKind kind) => kind == InjectionKind.Nmi ? "NMI" : "TF";
}

/// <summary>The addresses scenarios aim at, resolved from the kernel's symbols.</summary>
/// <param name="DoNmi">Entry of <c>do_nmi</c>.</param>
/// <param name="NmiHandle">Entry of <c>nmi_handle</c>.</param>
/// <param name="DoDebug">Entry of <c>do_debug</c>.</param>
/// <param name="NmiTouchVar">Per-CPU <c>nmi_touch_var</c> address, by CPU index.</param>
internal sealed record ScenarioTargets(ulong DoNmi, ulong NmiHandle, ulong DoDebug, Func<int, ulong> NmiTouchVar);

/// <summary>
/// The named scenarios and how a seed becomes a plan. Everything derives from a SplitMix64 stream
/// seeded by the seed (never the wall clock), so a seed always gives the same plan.
/// </summary>
internal static class StressScenarios
{
    /// <summary>Every scenario, in the order <c>all</c> picks from.</summary>
    public static readonly string[] Names = ["nmi-burst", "nmi-after-bp-iret", "db-in-nmi", "db-nesting", "int1-in-nmi"];

    /// <summary>True for a scenario name or <c>all</c>.</summary>
    public static bool IsKnown(string name) => name == "all" || Array.IndexOf(Names, name) >= 0;

    /// <summary>The plan for <paramref name="seed"/> of scenario <paramref name="scenario"/> (or <c>all</c>: the seed picks one).</summary>
    public static ScenarioPlan Plan(string scenario, ulong seed, int cpus, ScenarioTargets t)
    {
        var rng = new SplitMix64(seed);
        string name = scenario == "all" ? Names[rng.Below(Names.Length)] : scenario;
        var bps = new List<PlantedBreakpoint>();
        var timed = new List<TimedInjection>();
        var triggers = new List<EventTrigger>();
        List<int>? int1 = null;
        int cpu = rng.Below(cpus);
        switch (name)
        {
            case "nmi-burst":
                // 1–4 NMIs to one CPU or spread, at random points of the first 160 instructions (an NMI handler run is about that long).
                int count = 1 + rng.Below(4);
                bool spread = cpus > 1 && rng.Below(3) == 0;
                for (int i = 0; i < count; i++)
                    timed.Add(new TimedInjection(spread ? rng.Below(cpus) : cpu, rng.Below(160), InjectionKind.Nmi));
                break;
            case "nmi-after-bp-iret":
                // The second NMI is latched while the kprobe #BP handler inside nmi_handle runs its last
                // instructions, so its IRETQ unblocks NMIs and the NMI lands on the live NMI IST frame.
                timed.Add(new TimedInjection(cpu, rng.Below(8), InjectionKind.Nmi));
                triggers.Add(rng.Below(4) == 0
                    ? new EventTrigger(cpu, Devices.Cpu.Vector.BP, 1, rng.Below(12), InjectionKind.Nmi)
                    : new EventTrigger(cpu, Devices.Cpu.Vector.BP, 1, 0, InjectionKind.Nmi, AtReturn: true));
                if (rng.Below(4) == 0) timed.Add(new TimedInjection(cpu, 40 + rng.Below(200), InjectionKind.Nmi));
                break;
            case "db-in-nmi":
                bps.Add(rng.Below(3) switch
                {
                    0 => new PlantedBreakpoint(cpu, 0, "nmi_handle", t.NmiHandle, false),
                    1 => new PlantedBreakpoint(cpu, 0, "do_nmi", t.DoNmi, false),
                    _ => new PlantedBreakpoint(cpu, 1, "nmi_touch_var", t.NmiTouchVar(cpu), true),
                });
                timed.Add(new TimedInjection(cpu, rng.Below(8), InjectionKind.Nmi));
                // "N instructions after #DB entry": the #DB handler's IRETQ unblocks NMIs inside the NMI handler.
                triggers.Add(new EventTrigger(cpu, Devices.Cpu.Vector.DB, 1, rng.Below(40), InjectionKind.Nmi));
                if (rng.Below(3) == 0) timed.Add(new TimedInjection(cpu, 20 + rng.Below(300), InjectionKind.Nmi));
                break;
            case "int1-in-nmi":
                // A debugger-planted INT1 in nmi_handle (int1_request set in guest RAM): its trap-type #DB runs on the
                // #DB IST inside the NMI handler, and its IRETQ unblocks NMIs (as the kprobe #BP's does).
                int1 = [cpu];
                timed.Add(new TimedInjection(cpu, rng.Below(8), InjectionKind.Nmi));
                triggers.Add(rng.Below(3) == 0
                    ? new EventTrigger(cpu, Devices.Cpu.Vector.DB, 1, 0, InjectionKind.Nmi, AtReturn: true)
                    : new EventTrigger(cpu, Devices.Cpu.Vector.DB, 1, rng.Below(40), InjectionKind.Nmi));
                // Sometimes a DR0 on do_debug as well: the INT1 #DB's handler raises a nested #DB.
                if (rng.Below(3) == 0) bps.Add(new PlantedBreakpoint(cpu, 0, "do_debug", t.DoDebug, false));
                if (rng.Below(3) == 0) timed.Add(new TimedInjection(cpu, 20 + rng.Below(300), InjectionKind.Nmi));
                break;
            default: // db-nesting
                // A breakpoint on do_debug's entry: every #DB handler run raises another #DB (facts C3).
                bps.Add(new PlantedBreakpoint(cpu, 0, "do_debug", t.DoDebug, false));
                switch (rng.Below(3))
                {
                    case 0:
                        bps.Add(new PlantedBreakpoint(cpu, 1, "nmi_touch_var", t.NmiTouchVar(cpu), true));
                        break;
                    case 1:
                        triggers.Add(new EventTrigger(cpu, Devices.Cpu.Vector.NMI, 1, 1 + rng.Below(30), InjectionKind.SingleStep));
                        break;
                    default:
                        triggers.Add(new EventTrigger(cpu, Devices.Cpu.Vector.BP, 1, rng.Below(4), InjectionKind.SingleStep));
                        break;
                }
                timed.Add(new TimedInjection(cpu, rng.Below(8), InjectionKind.Nmi));
                break;
        }

        return new ScenarioPlan(name, seed, bps, timed, triggers, int1);
    }
}

/// <summary>SplitMix64: a small, fast, seedable generator whose output is fixed by its seed on every platform.</summary>
/// <param name="seed">The seed.</param>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, <paramref name="n"/>).</summary>
    public int Below(int n) => (int)(Next() % (ulong)n);
}
