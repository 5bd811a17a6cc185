using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Smp.Devices.Cpu;

namespace Smp.Host.Gdb;

/// <summary>
/// Decodes a CPU's GDT, IDT and TSS for <c>monitor info gdt|idt|tss</c>, read through the CPU's own translation
/// without side effects. Formats follow the SDM: segment and system descriptors (Vol. 3A §3.4.5, §3.5, Table 3-2),
/// gates (§6.11, §6.14.1), the real-mode IVT (§20.1.4), the 32- and 64-bit TSS (§7.2.1, §7.7).
/// </summary>
internal static class GdbSystemTables
{
    private const int MaxLines = 512;

    /// <summary>The GDT's present and non-null entries (16-byte system descriptors in IA-32e mode).</summary>
    /// <param name="cpu">The CPU.</param>
    /// <returns>One line per entry.</returns>
    public static string Gdt(CpuCore cpu)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"GDTR base=0x{cpu.Gdtr.Base:x} limit=0x{cpu.Gdtr.Limit:x}\n");
        var entry = new byte[16];
        int lines = 0;
        for (uint offset = 8; offset + 7 <= cpu.Gdtr.Limit && lines < MaxLines; offset += 8)
        {
            if (GdbSession.ReadLinear(cpu, cpu.Gdtr.Base + offset, entry.AsSpan(0, 8)) != 8)
            {
                text.Append(CultureInfo.InvariantCulture, $"  0x{offset:x4}  (not mapped)\n");
                break;
            }

            ulong d = BinaryPrimitives.ReadUInt64LittleEndian(entry);
            if (d == 0) continue;
            bool system = (d & (1UL << 44)) == 0;
            int type = (int)(d >> 40) & 0xF;
            bool wide = system && cpu.LongModeActive && type is 2 or 9 or 0xB;   // LDT and TSS descriptors are 16 bytes in IA-32e mode
            ulong high = 0;
            if (wide && offset + 15 <= cpu.Gdtr.Limit && GdbSession.ReadLinear(cpu, cpu.Gdtr.Base + offset + 8, entry.AsSpan(8, 8)) == 8)
                high = BinaryPrimitives.ReadUInt32LittleEndian(entry.AsSpan(8));
            text.Append(CultureInfo.InvariantCulture, $"  0x{offset:x4}  {Descriptor(d, high)}\n");
            lines++;
            if (wide) offset += 8;
        }

        return text.ToString();
    }

    /// <summary>The IDT's present gates, or the IVT's 256 vectors in real mode.</summary>
    /// <param name="cpu">The CPU.</param>
    /// <returns>One line per gate.</returns>
    public static string Idt(CpuCore cpu)
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"IDTR base=0x{cpu.Idtr.Base:x} limit=0x{cpu.Idtr.Limit:x}\n");
        var gate = new byte[16];
        if (!cpu.ProtectedMode)
        {
            int empty = 0;
            for (uint v = 0; v < 256 && v * 4 + 3 <= cpu.Idtr.Limit; v++)
            {
                if (GdbSession.ReadLinear(cpu, cpu.Idtr.Base + (v * 4), gate.AsSpan(0, 4)) != 4) break;
                uint vector = BinaryPrimitives.ReadUInt32LittleEndian(gate);
                if (vector == 0)
                {
                    empty++;   // 0000:0000, as RAM is at reset: left out like the GDT's null entries
                    continue;
                }

                text.Append(CultureInfo.InvariantCulture, $"  0x{v:x2}  {vector >> 16:x4}:{vector & 0xFFFF:x4}\n");
            }

            if (empty > 0) text.Append(CultureInfo.InvariantCulture, $"  ({empty} vectors 0000:0000 not shown)\n");
            return text.ToString();
        }

        int size = cpu.LongModeActive ? 16 : 8;
        for (uint v = 0; v < 256 && v * (uint)size + (uint)size - 1 <= cpu.Idtr.Limit; v++)
        {
            if (GdbSession.ReadLinear(cpu, cpu.Idtr.Base + (v * (uint)size), gate.AsSpan(0, size)) != size)
            {
                text.Append(CultureInfo.InvariantCulture, $"  0x{v:x2}  (not mapped)\n");
                break;
            }

            ulong lo = BinaryPrimitives.ReadUInt64LittleEndian(gate);
            if ((lo & (1UL << 47)) == 0) continue;
            ulong offset = (lo & 0xFFFF) | ((lo >> 32) & 0xFFFF_0000);
            if (size == 16) offset |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(gate.AsSpan(8)) << 32;
            int type = (int)(lo >> 40) & 0xF;
            string kind = type switch { 5 => "task", 6 or 0xE => "interrupt", 7 or 0xF => "trap", _ => $"type {type:x}" };
            string ist = size == 16 && (lo >> 32 & 7) != 0 ? $" IST{lo >> 32 & 7}" : string.Empty;
            text.Append(CultureInfo.InvariantCulture, $"  0x{v:x2}  {kind,-9} {(ushort)(lo >> 16):x4}:{offset:x}  DPL{(lo >> 45) & 3}{ist}\n");
        }

        return text.ToString();
    }

    /// <summary>TR and the task-state segment it names: RSP0–2 and IST1–7 for a 64-bit TSS, the stack fields of a 32-bit one.</summary>
    /// <param name="cpu">The CPU.</param>
    /// <returns>The decoded TSS.</returns>
    public static string Tss(CpuCore cpu)
    {
        var tr = cpu.Tr;
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"TR selector=0x{tr.Selector:x4} base=0x{tr.Base:x} limit=0x{tr.Limit:x} type=0x{tr.Attributes & 0xF:x}\n");
        if (tr.Selector == 0 || !tr.Present) return text.Append("  no task-state segment loaded\n").ToString();
        var tss = new byte[0x68];
        int read = GdbSession.ReadLinear(cpu, tr.Base, tss);
        if (read < tss.Length) return text.Append("  (not mapped)\n").ToString();
        if (cpu.LongModeActive)
        {
            for (int i = 0; i < 3; i++) text.Append(CultureInfo.InvariantCulture, $"  rsp{i}  0x{BinaryPrimitives.ReadUInt64LittleEndian(tss.AsSpan((int)Tss64.RspOffset(i))):x}\n");
            for (int i = 1; i <= 7; i++) text.Append(CultureInfo.InvariantCulture, $"  ist{i}  0x{BinaryPrimitives.ReadUInt64LittleEndian(tss.AsSpan((int)Tss64.IstOffset(i))):x}\n");
        }
        else
        {
            for (int i = 0; i < 3; i++)
                text.Append(CultureInfo.InvariantCulture, $"  ss{i}:esp{i}  {BinaryPrimitives.ReadUInt16LittleEndian(tss.AsSpan(8 + (8 * i))):x4}:{BinaryPrimitives.ReadUInt32LittleEndian(tss.AsSpan(4 + (8 * i))):x8}\n");
            text.Append(CultureInfo.InvariantCulture, $"  cr3  0x{BinaryPrimitives.ReadUInt32LittleEndian(tss.AsSpan(0x1C)):x8}  eip 0x{BinaryPrimitives.ReadUInt32LittleEndian(tss.AsSpan(0x20)):x8}\n");
        }

        return text.Append(CultureInfo.InvariantCulture, $"  iomap base  0x{BinaryPrimitives.ReadUInt16LittleEndian(tss.AsSpan(0x66)):x4}\n").ToString();
    }

    // A segment or system descriptor: base, limit (scaled by G), kind, DPL and the flags that matter.
    private static string Descriptor(ulong d, ulong highBase)
    {
        ulong baseAddress = ((d >> 16) & 0xFF_FFFF) | (((d >> 56) & 0xFF) << 24) | (highBase << 32);
        uint limit = (uint)(d & 0xFFFF) | (uint)((d >> 32) & 0xF_0000);
        if ((d & (1UL << 55)) != 0) limit = (limit << 12) | 0xFFF;
        int type = (int)(d >> 40) & 0xF;
        string kind;
        if ((d & (1UL << 44)) == 0)
        {
            kind = type switch
            {
                2 => "LDT",
                9 => "TSS (available)",
                0xB => "TSS (busy)",
                0xC => "call gate",
                _ => $"system type {type:x}",
            };
        }
        else if ((type & 8) != 0)
        {
            kind = (d & (1UL << 53)) != 0 ? "code64" : (d & (1UL << 54)) != 0 ? "code32" : "code16";
            kind += (type & 2) != 0 ? " readable" : " execute-only";
            if ((type & 4) != 0) kind += " conforming";
        }
        else
        {
            kind = ((d & (1UL << 54)) != 0 ? "data32" : "data16") + ((type & 2) != 0 ? " writable" : " read-only");
            if ((type & 4) != 0) kind += " expand-down";
        }

        string present = (d & (1UL << 47)) != 0 ? string.Empty : " not-present";
        return string.Create(CultureInfo.InvariantCulture, $"{kind,-22} base=0x{baseAddress:x} limit=0x{limit:x} DPL{(d >> 45) & 3}{present}");
    }
}
