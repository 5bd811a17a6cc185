using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Smp.Devices.Cpu;

namespace Smp.Host.Gdb;

// gdb's "monitor CMD" (qRcmd): what gdb cannot ask by itself. The output goes back as O packets, then OK.
internal sealed partial class GdbSession
{
    /// <summary>The help text of <c>monitor help</c> (also the README's list).</summary>
    public const string MonitorHelp =
        "monitor commands (CPU: a CPU index, thread N is CPU N-1; when omitted, the CPU whose registers gdb read last:\n" +
        "name it after 'info threads', which reads them all):\n" +
        "  info cpus                 every CPU: APIC ID, state, mode, CS:RIP, linear pc (* = the CPU gdb read last)\n" +
        "  info gdt|idt|tss [CPU]    the CPU's GDT, IDT (IVT in real mode) or task-state segment, decoded\n" +
        "  xp [/Nf] ADDRESS          N units of physical memory (f: b, h, w or g = 1, 2, 4, 8 bytes; /1w by default);\n" +
        "                            'maintenance packet Qqemu.PhyMemMode:1' makes gdb's x and set use physical addresses\n" +
        "  nmi CPU                   send an NMI to CPU through the APIC bus; it arrives when the machine continues\n" +
        "  trace on|off              record trace events (--trace and friends) or pause them; spans go on\n" +
        "  arch [x86-64|i386|auto]   the register set gdb reads next (after 'unset tdesc filename'); auto: by the CPU's mode\n" +
        "  help                      this list\n";

    private string Monitor(ReadOnlySpan<char> hex)
    {
        if (Rsp.FromHex(hex) is not { } bytes) return Invalid;
        string output = RunMonitor(Encoding.UTF8.GetString(bytes).Trim());
        if (output.Length > 0 && !output.EndsWith('\n')) output += "\n";
        int chunk = (PacketSize / 2) - 16;
        for (int i = 0; i < output.Length; i += chunk) _connection!.Send("O" + Rsp.HexOf(output.Substring(i, Math.Min(chunk, output.Length - i))));
        return "OK";
    }

    private string RunMonitor(string command)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || words[0] == "help") return MonitorHelp;
        try
        {
            return words[0] switch
            {
                "info" when words.Length >= 2 => words[1] switch
                {
                    "cpus" => InfoCpus(),
                    "gdt" => GdbSystemTables.Gdt(CpuArgument(words, 2)),
                    "idt" => GdbSystemTables.Idt(CpuArgument(words, 2)),
                    "tss" => GdbSystemTables.Tss(CpuArgument(words, 2)),
                    _ => $"unknown 'info {words[1]}'; try 'monitor help'",
                },
                "xp" => PhysicalDump(words),
                "nmi" when words.Length == 2 => SendNmi(CpuIndex(words[1])),
                "trace" when words.Length == 2 && words[1] is "on" or "off" => SwitchTrace(words[1] == "on"),
                "arch" => SetArchitecture(words),
                _ => $"unknown monitor command '{command}'; try 'monitor help'",
            };
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }

    private int CpuIndex(string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int cpu) || cpu >= _machine.Cores.Count)
            throw new FormatException($"'{text}' is not a CPU index (0..{_machine.Cores.Count - 1})");
        return cpu;
    }

    private CpuCore CpuArgument(string[] words, int at) => _machine.Cores[words.Length > at ? CpuIndex(words[at]) : _generalCpu];

    private string InfoCpus()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _machine.Cores.Count; i++)
        {
            var c = _machine.Cores[i];
            text.Append(CultureInfo.InvariantCulture,
                $"{(i == _generalCpu ? '*' : ' ')} CPU {i}  APIC {c.ApicId,-3} {c.State,-12} {c.Mode,-12} {c.Segs[Seg.CS].Selector:x4}:{c.Rip:x16}  pc 0x{c.CurrentLinearIp:x}\n");
        }

        return text.ToString();
    }

    private string PhysicalDump(string[] words)
    {
        int count = 1, size = 4, at = 1;
        if (words.Length > 1 && words[1].StartsWith('/'))
        {
            var format = words[1].AsSpan(1);
            int digits = 0;
            while (digits < format.Length && char.IsAsciiDigit(format[digits])) digits++;
            if (digits > 0) count = int.Parse(format[..digits], CultureInfo.InvariantCulture);
            foreach (char f in format[digits..])
            {
                size = f switch { 'b' => 1, 'h' => 2, 'w' => 4, 'g' => 8, 'x' => size, _ => throw new FormatException($"xp: unknown format letter '{f}' (b, h, w, g, x)") };
            }

            at = 2;
        }

        if (words.Length != at + 1 || !TryParseNumber(words[at], out ulong address) || count is < 1 or > 1024)
            return "usage: xp [/Nf] ADDRESS (N: 1..1024, f: b|h|w|g; ADDRESS in hex with 0x, or decimal)";
        var bytes = new byte[count * size];
        int read = _machine.Cores[_generalCpu].ReadPhysicalForDebugger(address, bytes);
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            if (i % (16 / size) == 0) text.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? "\n" : string.Empty)}{address + (ulong)(i * size):x16}:");
            if ((i + 1) * size > read)
            {
                text.Append(" (device memory is not read)");
                break;
            }

            ulong v = size switch
            {
                1 => bytes[i],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)),
                4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4)),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i * 8)),
            };
            text.Append(" 0x").Append(v.ToString("x" + (size * 2), CultureInfo.InvariantCulture));
        }

        return text.Append('\n').ToString();
    }

    private static bool TryParseNumber(string text, out ulong value) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? Rsp.TryParseHex(text.AsSpan(2), out value)
            : ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private string SendNmi(int cpu)
    {
        _machine.SendNmi(cpu, _machine.Simulation.Now);
        return $"NMI sent to CPU {cpu} (APIC {_machine.Cores[cpu].ApicId}) through the APIC bus; it arrives when the machine continues.";
    }

    private string SwitchTrace(bool on)
    {
        if (_trace is null) return "no trace is being recorded (start smp with --trace FILE, --chrome-trace FILE, --timeline FILE.html or --otlp)";
        _trace.EventsPaused = !on;
        return on ? "trace events are recorded" : "trace events are paused (spans go on)";
    }

    private string SetArchitecture(string[] words)
    {
        if (words.Length == 1) return $"gdb reads the {_viewSetting} register set next (the current one is {_view.Name})";
        if (words.Length != 2 || words[1] is not ("x86-64" or "i386" or "auto")) return "usage: arch [x86-64|i386|auto]";
        _viewSetting = words[1];
        var next = NextView();
        return $"gdb reads the {next.Name} register set after 'unset tdesc filename'" + (next == GdbTargetDescription.I386
            ? " (then 'set architecture i8086' for 16-bit code; back with 'set architecture auto' first)"
            : string.Empty);
    }
}
