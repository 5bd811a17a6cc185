using System.Globalization;
using Smp.Devices.Cpu;

namespace Smp.Host.Gdb;

// The packets gdb sends while the machine is stopped (GDB manual, "Packets" and "General Query Packets"). Every
// packet gets exactly one reply, except those that resume the machine (their reply is the next stop) and k.
internal sealed partial class GdbSession
{
    private const string Invalid = "E22";   // EINVAL
    private const string Fault = "E14";     // EFAULT

    private const int AllThreads = -1, AnyThread = -2;

    // The description gdb last read: g, G, p and P use its layout until gdb reads target.xml again.
    private GdbTargetDescription View => _view;

    // What the next read of target.xml gives (monitor arch): auto follows the selected CPU's mode at that moment.
    private GdbTargetDescription NextView() => _viewSetting switch
    {
        "i386" => GdbTargetDescription.I386,
        "auto" => _machine.Cores[_generalCpu].LongModeActive ? GdbTargetDescription.X86_64 : GdbTargetDescription.I386,
        _ => GdbTargetDescription.X86_64,
    };

    private void Answer(string packet)
    {
        var connection = _connection!;
        string? reply = packet.Length == 0 ? string.Empty : packet[0] switch
        {
            '?' => _stopReply,
            'g' => ReadRegisters(),
            'G' => WriteRegisters(packet.AsSpan(1)),
            'p' => ReadRegister(packet.AsSpan(1)),
            'P' => WriteRegister(packet.AsSpan(1)),
            'm' => ReadMemory(packet.AsSpan(1)),
            'M' => WriteMemory(packet[1..], binary: false),
            'X' => WriteMemory(packet[1..], binary: true),
            'Z' => ChangePoint(packet.AsSpan(1), insert: true),
            'z' => ChangePoint(packet.AsSpan(1), insert: false),
            'H' => SelectThread(packet.AsSpan(1)),
            'T' => TryParseThread(packet.AsSpan(1), out int alive) && alive >= 0 ? "OK" : "E01",
            'c' or 'C' or 's' or 'S' => LegacyResume(packet),
            'v' => VPacket(packet),
            'q' => Query(packet),
            'Q' => SetQuery(packet),
            'D' => "OK",
            'k' => null,
            _ => string.Empty,
        };
        if (reply is not null) connection.Send(reply);

        // What the reply announced takes effect after it went out.
        if (packet == "QStartNoAckMode") connection.AckMode = false;
        else if (packet.StartsWith('D')) ResumeDetached();
        else if (packet == "k") Kill();
    }

    // gdb's thread-id syntax: -1 every thread, 0 any thread, a positive hex id, or pPID.TID (multiprocess extensions).
    private bool TryParseThread(ReadOnlySpan<char> text, out int cpu)
    {
        cpu = AnyThread;
        if (text.StartsWith("p"))
        {
            int dot = text.IndexOf('.');
            if (dot < 0) return false;
            text = text[(dot + 1)..];
        }

        if (text.SequenceEqual("-1"))
        {
            cpu = AllThreads;
            return true;
        }

        if (!Rsp.TryParseHex(text, out ulong id) || id > (ulong)_machine.Cores.Count) return false;
        cpu = id == 0 ? AnyThread : (int)id - 1;
        return true;
    }

    private string SelectThread(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty || !TryParseThread(text[1..], out int cpu)) return Invalid;
        switch (text[0])
        {
            case 'g':
                _generalCpu = cpu >= 0 ? cpu : _generalCpu;
                return "OK";
            case 'c':
                _continueCpu = cpu;
                return "OK";
            default:
                return Invalid;
        }
    }

    private string ReadRegisters()
    {
        var core = _machine.Cores[_generalCpu];
        var view = View;
        var bytes = new byte[view.GPacketBytes];
        int offset = 0;
        foreach (var r in view.Registers)
        {
            GdbRegisterAccess.Read(core, r, bytes.AsSpan(offset, r.Bytes));
            offset += r.Bytes;
        }

        return Rsp.Hex(bytes);
    }

    private string WriteRegisters(ReadOnlySpan<char> hex)
    {
        var view = View;
        if (Rsp.FromHex(hex) is not { } bytes || bytes.Length > view.GPacketBytes) return Invalid;
        var core = _machine.Cores[_generalCpu];
        int offset = 0;
        bool ok = true;
        foreach (var r in view.Registers)
        {
            if (offset + r.Bytes > bytes.Length) break;   // a shorter G leaves the rest as it is
            ok &= GdbRegisterAccess.Write(core, r, bytes.AsSpan(offset, r.Bytes));
            offset += r.Bytes;
        }

        return ok ? "OK" : Invalid;
    }

    private string ReadRegister(ReadOnlySpan<char> text)
    {
        var view = View;
        if (!Rsp.TryParseHex(text, out ulong n) || n >= (ulong)view.Registers.Count) return Invalid;
        var r = view.Registers[(int)n];
        var bytes = new byte[r.Bytes];
        GdbRegisterAccess.Read(_machine.Cores[_generalCpu], r, bytes);
        return Rsp.Hex(bytes);
    }

    private string WriteRegister(ReadOnlySpan<char> text)
    {
        var view = View;
        int equals = text.IndexOf('=');
        if (equals < 0 || !Rsp.TryParseHex(text[..equals], out ulong n) || n >= (ulong)view.Registers.Count) return Invalid;
        var r = view.Registers[(int)n];
        if (Rsp.FromHex(text[(equals + 1)..]) is not { } bytes || bytes.Length != r.Bytes) return Invalid;
        return GdbRegisterAccess.Write(_machine.Cores[_generalCpu], r, bytes) ? "OK" : Invalid;
    }

    // Z/z type,addr,kind[;cond…]: 0 software and 1 hardware breakpoints, 2 write, 3 read and 4 access watchpoints.
    private string ChangePoint(ReadOnlySpan<char> text, bool insert)
    {
        int semicolon = text.IndexOf(';');
        if (semicolon >= 0) text = text[..semicolon];   // conditions and commands are not evaluated by the stub
        Span<Range> fields = stackalloc Range[4];
        if (text.Split(fields, ',') != 3 || text[fields[0]].Length != 1) return Invalid;
        int type = text[fields[0]][0] - '0';
        if (type is < 0 or > 4) return string.Empty;
        if (!Rsp.TryParseHex(text[fields[1]], out ulong address) || !Rsp.TryParseHex(text[fields[2]], out ulong kind)) return Invalid;
        var points = _debugger.Points;
        if (type <= 1)
        {
            if (insert) points.AddBreakpoint(address, hardware: type == 1);
            else points.RemoveBreakpoint(address, hardware: type == 1);
        }
        else
        {
            var watch = new Devices.Cpu.Debugger.Watchpoint(address, kind, type switch
            {
                2 => Devices.Cpu.Debugger.WatchKind.Write,
                3 => Devices.Cpu.Debugger.WatchKind.Read,
                _ => Devices.Cpu.Debugger.WatchKind.Access,
            });
            if (!insert) points.RemoveWatchpoint(watch);
            else if (!points.AddWatchpoint(watch)) return Invalid;
        }

        _debugger.PointsChanged();
        return "OK";
    }

    // c/s [addr] and C/S sig[;addr]: the old resume packets (gdb uses vCont); s steps the Hc thread, or the current one.
    private string? LegacyResume(string packet)
    {
        var args = packet.AsSpan(1);
        if (packet[0] is 'C' or 'S')
        {
            int semicolon = args.IndexOf(';');
            args = semicolon < 0 ? [] : args[(semicolon + 1)..];
        }

        int stepCpu = _continueCpu >= 0 ? _continueCpu : _generalCpu;
        if (!args.IsEmpty)
        {
            if (!Rsp.TryParseHex(args, out ulong pc)) return Invalid;
            var pcRegister = View.Registers.First(r => r.Kind == GdbRegisterKind.Pc);
            var bytes = new byte[pcRegister.Bytes];
            BitConverter.TryWriteBytes(bytes, pc);
            if (!GdbRegisterAccess.Write(_machine.Cores[stepCpu], pcRegister, bytes)) return Invalid;
        }

        Resume(packet[0] is 's' or 'S' ? [stepCpu] : []);
        return null;
    }

    private string? VPacket(string packet)
    {
        if (packet == "vCont?") return "vCont;c;C;s;S";
        if (packet.StartsWith("vCont;", StringComparison.Ordinal)) return VCont(packet.AsSpan(6));
        if (packet.StartsWith("vKill", StringComparison.Ordinal))
        {
            _connection!.Send("OK");
            Kill();
            return null;
        }

        return string.Empty;   // vMustReplyEmpty and everything else we do not have
    }

    // vCont;action[:thread]…: for each CPU the leftmost action naming it (or naming every thread) applies. A stop freezes
    // the whole machine and a resume runs it all, so 'c' and a missing action both mean "not held back"; the CPUs given
    // 's' stop after one instruction, and the machine stops as soon as one of them has.
    private string? VCont(ReadOnlySpan<char> actions)
    {
        var step = new List<int>();
        var decided = new bool[_machine.Cores.Count];
        foreach (var range in actions.Split(';'))
        {
            var action = actions[range];
            int colon = action.IndexOf(':');
            var verb = colon < 0 ? action : action[..colon];
            int cpu = AllThreads;
            if (colon >= 0 && (!TryParseThread(action[(colon + 1)..], out cpu) || cpu == AnyThread)) return Invalid;
            bool stepping;
            if (verb.SequenceEqual("c") || (verb.Length == 3 && verb[0] == 'C')) stepping = false;
            else if (verb.SequenceEqual("s") || (verb.Length == 3 && verb[0] == 'S')) stepping = true;
            else return Invalid;
            for (int i = 0; i < decided.Length; i++)
            {
                if (decided[i] || (cpu != AllThreads && cpu != i)) continue;
                decided[i] = true;
                if (stepping) step.Add(i);
            }
        }

        Resume(step);
        return null;
    }

    // QEMU's physical memory mode (gdb: maintenance packet Qqemu.PhyMemMode:1): m, M and X then take physical addresses.
    private string SetQuery(string packet)
    {
        switch (packet)
        {
            case "QStartNoAckMode":
                return "OK";
            case "Qqemu.PhyMemMode:0" or "Qqemu.PhyMemMode:1":
                _physicalMemory = packet[^1] == '1';
                return "OK";
            default:
                return packet.StartsWith("Qqemu.PhyMemMode:", StringComparison.Ordinal) ? Invalid : string.Empty;
        }
    }

    private string Query(string packet)
    {
        if (packet.StartsWith("qSupported", StringComparison.Ordinal))
        {
            _reportSwBreak = packet.Contains("swbreak+", StringComparison.Ordinal);
            _reportHwBreak = packet.Contains("hwbreak+", StringComparison.Ordinal);
            return $"PacketSize={PacketSize:x};qXfer:features:read+;QStartNoAckMode+;vContSupported+"
                + (_reportSwBreak ? ";swbreak+" : string.Empty) + (_reportHwBreak ? ";hwbreak+" : string.Empty);
        }

        if (packet.StartsWith("qXfer:features:read:", StringComparison.Ordinal)) return ReadFeatures(packet.AsSpan(20));
        if (packet == "qfThreadInfo") return "m" + string.Join(',', Enumerable.Range(1, _machine.Cores.Count).Select(t => t.ToString("x", CultureInfo.InvariantCulture)));
        if (packet == "qsThreadInfo") return "l";
        if (packet == "qC") return $"QC{_generalCpu + 1:x}";
        if (packet.StartsWith("qAttached", StringComparison.Ordinal)) return "1";   // gdb detaches on quit: the run goes on
        if (packet.StartsWith("qThreadExtraInfo,", StringComparison.Ordinal))
            return TryParseThread(packet.AsSpan(17), out int cpu) && cpu >= 0 ? Rsp.HexOf(Describe(cpu)) : Invalid;
        if (packet.StartsWith("qRcmd,", StringComparison.Ordinal)) return Monitor(packet.AsSpan(6));
        if (packet.StartsWith("qSymbol:", StringComparison.Ordinal)) return "OK";
        if (packet == "qqemu.PhyMemMode") return _physicalMemory ? "1" : "0";
        return string.Empty;
    }

    // qXfer:features:read:ANNEX:OFFSET,LENGTH: a window of target.xml ('m' more follows, 'l' last).
    private string ReadFeatures(ReadOnlySpan<char> args)
    {
        int colon = args.IndexOf(':');
        if (colon < 0) return Invalid;
        if (!args[..colon].SequenceEqual("target.xml")) return "E00";
        var window = args[(colon + 1)..];
        int comma = window.IndexOf(',');
        if (comma < 0 || !Rsp.TryParseHex(window[..comma], out ulong offset) || !Rsp.TryParseHex(window[(comma + 1)..], out ulong length)) return Invalid;
        if (offset == 0) _view = NextView();
        string xml = _view.Xml;
        if (offset >= (ulong)xml.Length) return "l";
        int start = (int)offset;
        int count = (int)Math.Min(Math.Min(length, (ulong)(xml.Length - start)), PacketSize - 16);
        return (start + count >= xml.Length ? "l" : "m") + xml.Substring(start, count);
    }

    private string Describe(int cpu)
    {
        var core = _machine.Cores[cpu];
        return $"CPU {cpu} (APIC {core.ApicId}) {core.Mode}, {core.State}";
    }
}
