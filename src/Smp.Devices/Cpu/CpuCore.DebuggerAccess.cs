using Smp.Devices.Cpu.Fpu;

namespace Smp.Devices.Cpu;

// What a debugger reads and writes while the machine is paused, without side effects the guest could see: a page walk
// that sets no accessed or dirty bit, fills no TLB and raises nothing; physical reads that never touch a device; the
// x87 and SSE registers; segment registers loaded the way the processor fills their hidden part.
public sealed unsafe partial class CpuCore
{
    /// <summary>
    /// Translates a linear address as this CPU would for a supervisor read, in every paging mode (none, 32-bit with PSE,
    /// PAE, 4-level), without setting accessed or dirty bits, filling the TLB or raising #PF.
    /// </summary>
    /// <param name="linear">The linear address.</param>
    /// <param name="physical">The physical address, when mapped.</param>
    /// <returns>False when the address is not mapped (or not canonical, or a paging entry sets reserved bits).</returns>
    public bool TryTranslateForDebugger(ulong linear, out ulong physical) => TryWalkQuietly(linear, out physical, out _);

    /// <summary>
    /// Reads physical memory for a debugger: RAM and ROM as stored, unmapped space as all ones; a device (MMIO, this
    /// CPU's local APIC) is never read, since reads can have side effects there.
    /// </summary>
    /// <param name="physical">The first physical address.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <returns>How many bytes were read before the first device byte.</returns>
    public int ReadPhysicalForDebugger(ulong physical, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            ulong pa = physical + (ulong)i;
            if (IsDeviceForDebugger(pa)) return i;
            destination[i] = (byte)Memory.Read(pa, 1);
        }

        return destination.Length;
    }

    /// <summary>
    /// Writes guest RAM for a debugger (decoded code the bytes overwrite is invalidated on every CPU, as for any store).
    /// ROM, devices and unmapped space are refused.
    /// </summary>
    /// <param name="physical">The first physical address.</param>
    /// <param name="source">The bytes.</param>
    /// <returns>How many bytes were written before the first byte that is not RAM.</returns>
    public int WritePhysicalForDebugger(ulong physical, ReadOnlySpan<byte> source)
    {
        for (int i = 0; i < source.Length; i++)
        {
            ulong pa = physical + (ulong)i;
            if (Memory.RamPage(pa) == null || (pa & ~0xFFFUL) == ApicWindow) return i;
            Memory.Write(pa, 1, source[i]);
        }

        return source.Length;
    }

    private bool IsDeviceForDebugger(ulong pa) => (pa & ~0xFFFUL) == ApicWindow || Memory.IsMmio(pa);

    /// <summary>
    /// Loads a segment register from a debugger: in real and virtual-8086 mode base = selector × 16; otherwise the
    /// descriptor is read from the GDT or LDT (without privilege checks or the accessed bit) into the hidden part.
    /// </summary>
    /// <param name="seg">The segment register (<see cref="Seg"/>).</param>
    /// <param name="selector">The selector.</param>
    /// <returns>False when the descriptor cannot be read (beyond the table limit, not mapped).</returns>
    public bool TryLoadSegmentForDebugger(int seg, ushort selector)
    {
        if (!ProtectedMode || (RflagsBits & Rflags.VM) != 0)
        {
            Segs[seg] = SegmentRegister.RealMode(selector, Segs[seg].Attributes);
        }
        else if ((selector & 0xFFFC) == 0)
        {
            if (seg == Seg.CS) return false;
            Segs[seg] = new SegmentRegister { Selector = selector };
        }
        else
        {
            Span<byte> bytes = stackalloc byte[8];
            if (!TryDescriptorAddress(selector, out ulong la) || !TryTranslateForDebugger(la, out ulong pa) || ReadPhysicalForDebugger(pa, bytes) != 8)
                return false;
            var cache = DescriptorCache(selector, BitConverter.ToUInt64(bytes));
            if (seg is Seg.FS or Seg.GS && Is64) cache.Base = Segs[seg].Base;   // FS/GS bases are MSRs in 64-bit mode
            Segs[seg] = cache;
        }

        UpdateMode();
        return true;
    }

    /// <summary>ST(<paramref name="i"/>) of the x87 stack (ST(0) is R[TOP]).</summary>
    /// <param name="i">0 to 7.</param>
    /// <returns>The register's 80-bit value.</returns>
    public Float80 ReadFpuStack(int i) => St(i & 7);

    /// <summary>Writes ST(<paramref name="i"/>) and tags it from its contents (an empty register becomes valid, zero or special).</summary>
    /// <param name="i">0 to 7.</param>
    /// <param name="value">The 80-bit value.</param>
    public void WriteFpuStack(int i, Float80 value) => SetSt(i & 7, value);

    /// <summary>The x87 control word (FCW).</summary>
    public ushort FpuControlWord { get => Fcw; set => Fcw = value; }

    /// <summary>The x87 status word (FSW, TOP in bits 11–13).</summary>
    public ushort FpuStatusWord { get => Fsw; set => Fsw = value; }

    /// <summary>The full x87 tag word as FSTENV stores it; a write keeps empty registers empty and tags the others from their contents.</summary>
    public ushort FpuFullTagWord { get => FpuTagWord(); set => FpuLoadTagWord(value); }

    /// <summary>The last x87 opcode (11 bits).</summary>
    public ushort FpuLastOpcode { get => Fop; set => Fop = (ushort)(value & 0x7FF); }

    /// <summary>The last x87 instruction's CS selector and offset.</summary>
    public (ushort Selector, ulong Offset) FpuInstructionPointer
    {
        get => (FpuCs, FpuIp);
        set => (FpuCs, FpuIp) = value;
    }

    /// <summary>The last x87 memory operand's DS selector and offset.</summary>
    public (ushort Selector, ulong Offset) FpuDataPointer
    {
        get => (FpuDs, FpuDp);
        set => (FpuDs, FpuDp) = value;
    }

    /// <summary>XMM<paramref name="n"/> as a 128-bit value.</summary>
    /// <param name="n">0 to 15.</param>
    /// <returns>The register.</returns>
    public UInt128 ReadXmm(int n) => new(Xmm[(2 * n) + 1], Xmm[2 * n]);

    /// <summary>Writes XMM<paramref name="n"/>.</summary>
    /// <param name="n">0 to 15.</param>
    /// <param name="value">The 128-bit value.</param>
    public void WriteXmm(int n, UInt128 value)
    {
        Xmm[2 * n] = (ulong)value;
        Xmm[(2 * n) + 1] = (ulong)(value >> 64);
    }

    /// <summary>MXCSR (a debugger write keeps the reserved bits clear).</summary>
    public uint MxcsrRegister { get => Mxcsr; set => Mxcsr = value & 0xFFFF; }
}
