using System.Buffers.Binary;
using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Fpu;

namespace Smp.Host.Gdb;

/// <summary>
/// Reads and writes one CPU's registers in gdb's format (little-endian, the register's size) while the machine is
/// paused. The program counter is the linear address of the next instruction (CS base + RIP), so that in real mode
/// breakpoints, <c>stepi</c> and <c>x/i $pc</c> agree with the addresses gdb uses; writing it sets RIP to the value minus
/// the CS base. A write that does not change the value does nothing (gdb's <c>G</c> writes every register back), and a
/// write the processor would refuse (a reserved CR4 bit, a selector beyond the GDT) fails.
/// </summary>
internal static class GdbRegisterAccess
{
    /// <summary>Writes register <paramref name="r"/> of <paramref name="cpu"/> into <paramref name="destination"/> (<see cref="GdbRegister.Bytes"/> long).</summary>
    /// <param name="cpu">The CPU.</param>
    /// <param name="r">The register.</param>
    /// <param name="destination">Where the little-endian bytes go.</param>
    public static void Read(CpuCore cpu, GdbRegister r, Span<byte> destination)
    {
        destination.Clear();
        switch (r.Kind)
        {
            case GdbRegisterKind.St:
                var f = cpu.ReadFpuStack(r.Index);
                BinaryPrimitives.WriteUInt64LittleEndian(destination, f.Significand);
                BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], f.SignExponent);
                return;
            case GdbRegisterKind.Xmm:
                BinaryPrimitives.WriteUInt128LittleEndian(destination, cpu.ReadXmm(r.Index));
                return;
            default:
                ulong value = ReadScalar(cpu, r);
                Span<byte> bytes = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
                bytes[..Math.Min(8, r.Bytes)].CopyTo(destination);
                return;
        }
    }

    /// <summary>Writes register <paramref name="r"/> of <paramref name="cpu"/> from little-endian bytes.</summary>
    /// <param name="cpu">The CPU.</param>
    /// <param name="r">The register.</param>
    /// <param name="source">Exactly <see cref="GdbRegister.Bytes"/> bytes.</param>
    /// <returns>False when the processor would refuse the value.</returns>
    public static bool Write(CpuCore cpu, GdbRegister r, ReadOnlySpan<byte> source)
    {
        if (source.Length != r.Bytes) return false;
        Span<byte> current = stackalloc byte[r.Bytes];
        Read(cpu, r, current);
        if (current.SequenceEqual(source)) return true;
        switch (r.Kind)
        {
            case GdbRegisterKind.St:
                cpu.WriteFpuStack(r.Index, new Float80(BinaryPrimitives.ReadUInt64LittleEndian(source), BinaryPrimitives.ReadUInt16LittleEndian(source[8..])));
                return true;
            case GdbRegisterKind.Xmm:
                cpu.WriteXmm(r.Index, BinaryPrimitives.ReadUInt128LittleEndian(source));
                return true;
            default:
                Span<byte> bytes = stackalloc byte[8];
                source.CopyTo(bytes);
                return WriteScalar(cpu, r, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        }
    }

    private static ulong ReadScalar(CpuCore cpu, GdbRegister r) => r.Kind switch
    {
        GdbRegisterKind.Gpr => cpu.Gpr(r.Index),
        GdbRegisterKind.Pc => cpu.CurrentLinearIp,
        GdbRegisterKind.Flags => cpu.GetRflags(),
        GdbRegisterKind.Segment => cpu.Segs[r.Index].Selector,
        GdbRegisterKind.FpuControl => r.Index switch
        {
            0 => cpu.FpuControlWord,
            1 => cpu.FpuStatusWord,
            2 => cpu.FpuFullTagWord,
            3 => cpu.FpuInstructionPointer.Selector,
            4 => (uint)cpu.FpuInstructionPointer.Offset,
            5 => cpu.FpuDataPointer.Selector,
            6 => (uint)cpu.FpuDataPointer.Offset,
            _ => cpu.FpuLastOpcode,
        },
        GdbRegisterKind.Mxcsr => cpu.MxcsrRegister,
        GdbRegisterKind.Base => r.Index switch
        {
            0 => cpu.Segs[Seg.FS].Base,
            1 => cpu.Segs[Seg.GS].Base,
            _ => cpu.KernelGsBase,
        },
        _ => r.Index switch
        {
            0 => cpu.Cr0,
            2 => cpu.Cr2,
            3 => cpu.Cr3,
            4 => cpu.Cr4,
            8 => cpu.ReadCr8(),
            _ => cpu.Efer,
        },
    };

    private static bool WriteScalar(CpuCore cpu, GdbRegister r, ulong value)
    {
        switch (r.Kind)
        {
            case GdbRegisterKind.Gpr:
                // A 32-bit view keeps the upper half (it is not the debugger's to clear).
                cpu.Gpr(r.Index) = r.Bits == 64 ? value : (cpu.Gpr(r.Index) & ~0xFFFF_FFFFUL) | value;
                return true;
            case GdbRegisterKind.Pc:
                return WritePc(cpu, value);
            case GdbRegisterKind.Flags:
                cpu.SetRflags(value);
                return true;
            case GdbRegisterKind.Segment:
                return value <= 0xFFFF && cpu.TryLoadSegmentForDebugger(r.Index, (ushort)value);
            case GdbRegisterKind.FpuControl:
                return WriteFpuControl(cpu, r.Index, value);
            case GdbRegisterKind.Mxcsr:
                cpu.MxcsrRegister = (uint)value;
                return true;
            case GdbRegisterKind.Base:
                return cpu.TryWriteMsr(r.Index switch { 0 => Msr.FsBase, 1 => Msr.GsBase, _ => Msr.KernelGsBase }, value);
            default:
                return r.Index switch
                {
                    0 => cpu.TryWriteCr0(value),
                    2 => SetCr2(cpu, value),
                    3 => cpu.TryWriteCr3(value),
                    4 => cpu.TryWriteCr4(value),
                    8 => cpu.TryWriteCr8(value),
                    _ => cpu.TryWriteMsr(Msr.Efer, value),
                };
        }
    }

    private static bool SetCr2(CpuCore cpu, ulong value)
    {
        cpu.Cr2 = value;
        return true;
    }

    // RIP = pc − CS base, within the code size's IP range (a 16-bit IP cannot hold more than 0xFFFF).
    private static bool WritePc(CpuCore cpu, ulong pc)
    {
        ulong ip = cpu.Is64 ? pc : (pc - cpu.Segs[Seg.CS].Base) & 0xFFFF_FFFFUL;
        ulong limit = cpu.Bitness switch { 64 => ulong.MaxValue, 32 => 0xFFFF_FFFFUL, _ => 0xFFFFUL };
        if (ip > limit) return false;
        cpu.Rip = ip;
        return true;
    }

    private static bool WriteFpuControl(CpuCore cpu, int index, ulong value)
    {
        switch (index)
        {
            case 0: cpu.FpuControlWord = (ushort)value; break;
            case 1: cpu.FpuStatusWord = (ushort)value; break;
            case 2: cpu.FpuFullTagWord = (ushort)value; break;
            case 3: cpu.FpuInstructionPointer = ((ushort)value, cpu.FpuInstructionPointer.Offset); break;
            case 4: cpu.FpuInstructionPointer = (cpu.FpuInstructionPointer.Selector, (uint)value); break;
            case 5: cpu.FpuDataPointer = ((ushort)value, cpu.FpuDataPointer.Offset); break;
            case 6: cpu.FpuDataPointer = (cpu.FpuDataPointer.Selector, (uint)value); break;
            default: cpu.FpuLastOpcode = (ushort)value; break;
        }

        return true;
    }
}
