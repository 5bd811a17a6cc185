using System.Globalization;
using Smp.Devices.Cpu;

namespace Smp.Host.Running;

/// <summary>The per-CPU table <c>smp boot</c> prints after the run: what each CPU holds and when it came online.</summary>
internal static class BootTable
{
    /// <summary>Writes the table for <paramref name="result"/> to <paramref name="err"/>.</summary>
    public static void Write(TextWriter err, GuestSessionResult result)
    {
        var rows = new List<string[]>
        {
            new[] { "CPU", "APIC", "role", "GDT base:limit", "gs-base", "TSS", "IST1 (#DF)", "IST2 (NMI)", "IST3 (#DB)", "IST4 (#MC)", "online at", "state" },
        };
        foreach (var cpu in result.Cpus)
        {
            var online = result.Trackers[cpu.Cpu].FirstEntry("cpu_idle");
            rows.Add(
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
            ]);
        }

        var widths = new int[rows[0].Length];
        foreach (var row in rows)
            for (int c = 0; c < row.Length; c++) widths[c] = Math.Max(widths[c], row[c].Length);
        foreach (var row in rows)
            err.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
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
