using System.Globalization;
using Smp.Devices.Cpu;
using Spectre.Console;

namespace Smp.Host.Running;

/// <summary>The per-CPU table <c>smp boot</c> prints after the run: what each CPU holds and when it came online.</summary>
internal static class BootTable
{
    private static readonly string[] Headers =
        ["CPU", "APIC", "role", "GDT base:limit", "gs-base", "TSS", "IST1 (#DF)", "IST2 (NMI)", "IST3 (#DB)", "IST4 (#MC)", "online at", "state"];

    /// <summary>Draws the table for <paramref name="result"/> on <paramref name="err"/> (see <see cref="StderrConsole"/>).</summary>
    /// <param name="err">Standard error.</param>
    /// <param name="result">The finished session.</param>
    public static void Write(TextWriter err, GuestSessionResult result) => StderrConsole.WriteTable(err, Build(result));

    /// <summary>The table: one row per CPU, values read back from its registers and its TSS.</summary>
    /// <param name="result">The finished session.</param>
    /// <returns>The table.</returns>
    public static Table Build(GuestSessionResult result)
    {
        var table = new Table();
        foreach (var header in Headers) table.AddColumn(new TableColumn(new Text(header)).NoWrap().PadRight(2));
        foreach (var cpu in result.Cpus)
        {
            // The built-in kernel's idle loop, or Linux's entry to it (every CPU, the boot CPU last, from rest_init).
            var online = result.Trackers[cpu.Cpu].FirstEntry("cpu_idle") ?? result.Trackers[cpu.Cpu].FirstEntry("cpu_startup_entry");
            string[] cells =
            [
                cpu.Cpu.ToString(CultureInfo.InvariantCulture),
                cpu.ApicId.ToString(CultureInfo.InvariantCulture),
                cpu.IsBsp ? "BSP" : "AP",
                $"{cpu.GdtBase:x}:{cpu.GdtLimit:x}",
                Hex(cpu.GsBase),
                Hex(cpu.TssBase),
                Hex(cpu.Ist[0]), Hex(cpu.Ist[1]), Hex(cpu.Ist[2]), Hex(cpu.Ist[3]),
                online is { } t ? FormatTime(t) : "-",
                StateName(cpu),
            ];
            table.AddRow(cells.Select(c => new Text(c))); // Text, not markup: cells are data
        }

        return table;
    }

    /// <summary>Simulated time in the unit that reads best: ns, µs, ms or s.</summary>
    public static string FormatTime(long ns) => ns switch
    {
        < 10_000 => $"{ns} ns",
        < 10_000_000 => (ns / 1e3).ToString("0.0", CultureInfo.InvariantCulture) + " µs",
        < 10_000_000_000 => (ns / 1e6).ToString("0.000", CultureInfo.InvariantCulture) + " ms",
        _ => (ns / 1e9).ToString("0.000", CultureInfo.InvariantCulture) + " s",
    };

    private static string Hex(ulong v) => v == 0 ? "-" : "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private static string StateName(CpuReadback cpu) => cpu.State switch
    {
        RunState.Halted => "idle (hlt)",
        RunState.WaitForSipi => "wait-for-SIPI",
        RunState.Shutdown => "shutdown",
        _ => $"running {cpu.Mode}",
    };
}
