using System.Buffers.Binary;
using Smp.Devices.Cpu.Fpu;

namespace Smp.Devices.Cpu.Simd;

/// <summary>
/// The legacy region of the FXSAVE/XSAVE area (SDM Vol. 1 §10.5.1, Tables 10-2 and 10-3; Vol. 2A FXSAVE Tables 3-53 to
/// 3-56): the x87 part (bytes 0–23 and 32–159), MXCSR and MXCSR_MASK (24–31) and the XMM registers (160–415). Built in
/// and read from a byte image so FXSAVE, XSAVE and snapshots share one layout; the "wide" form is the one of FXSAVE64
/// and XSAVE64 (64-bit FPU IP and DP), the narrow one keeps 32-bit offsets with their CS and DS selectors.
/// </summary>
internal static class FxsaveArea
{
    /// <summary>Size of the legacy region.</summary>
    public const int Size = 512;

    /// <summary>Offset of MXCSR (followed by MXCSR_MASK).</summary>
    public const int MxcsrOffset = 24;

    /// <summary>Offset of ST0/MM0; each register has a 16-byte slot.</summary>
    public const int StOffset = 32;

    /// <summary>Offset of XMM0.</summary>
    public const int XmmOffset = 160;

    /// <summary>The x87 control word, status word, tags, opcode and pointers of the initial configuration (SDM Vol. 1 §13.6).</summary>
    public const ushort InitialFcw = 0x037F;

    /// <summary>Writes the x87 part: bytes 0–23 (reserved bytes as 0) and the eight register slots in stack order.</summary>
    public static void SaveX87(CpuCore c, Span<byte> area, bool wide)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(area, c.Fcw);
        BinaryPrimitives.WriteUInt16LittleEndian(area[2..], c.Fsw);
        byte abridged = 0;
        for (int phys = 0; phys < 8; phys++)
            if (((c.Ftw >> (2 * phys)) & 3) != 3) abridged |= (byte)(1 << phys);
        area[4] = abridged;
        area[5] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(area[6..], (ushort)(c.Fop & 0x7FF));
        if (wide)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(area[8..], c.FpuIp);
            BinaryPrimitives.WriteUInt64LittleEndian(area[16..], c.FpuDp);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(area[8..], (uint)c.FpuIp);
            BinaryPrimitives.WriteUInt32LittleEndian(area[12..], c.FpuCs);
            BinaryPrimitives.WriteUInt32LittleEndian(area[16..], (uint)c.FpuDp);
            BinaryPrimitives.WriteUInt32LittleEndian(area[20..], c.FpuDs);
        }
        int top = (c.Fsw >> 11) & 7;
        for (int i = 0; i < 8; i++)
        {
            var r = c.FpuRegisters[(top + i) & 7];
            var slot = area.Slice(StOffset + 16 * i, 16);
            BinaryPrimitives.WriteUInt64LittleEndian(slot, r.Significand);
            BinaryPrimitives.WriteUInt64LittleEndian(slot[8..], r.SignExponent);
        }
    }

    /// <summary>
    /// Loads the x87 part. The abridged tag word only says which registers are empty; the others are tagged from their
    /// contents (SDM Vol. 2A FXRSTOR). With the narrow form the selectors are loaded too, with the wide one they become 0.
    /// FSW is taken as stored: the instructions then let the x87 unit recompute its error summary (and FERR#).
    /// </summary>
    public static void LoadX87(CpuCore c, ReadOnlySpan<byte> area, bool wide)
    {
        c.Fcw = BinaryPrimitives.ReadUInt16LittleEndian(area);
        c.Fsw = BinaryPrimitives.ReadUInt16LittleEndian(area[2..]);
        byte abridged = area[4];
        c.Fop = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(area[6..]) & 0x7FF);
        if (wide)
        {
            c.FpuIp = BinaryPrimitives.ReadUInt64LittleEndian(area[8..]);
            c.FpuDp = BinaryPrimitives.ReadUInt64LittleEndian(area[16..]);
            c.FpuCs = c.FpuDs = 0;
        }
        else
        {
            c.FpuIp = BinaryPrimitives.ReadUInt32LittleEndian(area[8..]);
            c.FpuCs = BinaryPrimitives.ReadUInt16LittleEndian(area[12..]);
            c.FpuDp = BinaryPrimitives.ReadUInt32LittleEndian(area[16..]);
            c.FpuDs = BinaryPrimitives.ReadUInt16LittleEndian(area[20..]);
        }
        int top = (c.Fsw >> 11) & 7;
        for (int i = 0; i < 8; i++)
        {
            var slot = area.Slice(StOffset + 16 * i, 10);
            c.FpuRegisters[(top + i) & 7] = new Float80(BinaryPrimitives.ReadUInt64LittleEndian(slot), BinaryPrimitives.ReadUInt16LittleEndian(slot[8..]));
        }
        int ftw = 0;
        for (int phys = 0; phys < 8; phys++)
            ftw |= ((abridged >> phys) & 1) != 0 ? c.FpuRegisters[phys].Tag << (2 * phys) : 3 << (2 * phys);
        c.Ftw = (ushort)ftw;
    }

    /// <summary>Writes MXCSR and MXCSR_MASK.</summary>
    public static void SaveMxcsr(CpuCore c, Span<byte> area)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(area[MxcsrOffset..], c.Mxcsr);
        BinaryPrimitives.WriteUInt32LittleEndian(area[(MxcsrOffset + 4)..], Mxcsr.WritableMask);
    }

    /// <summary>MXCSR as stored in <paramref name="area"/>.</summary>
    public static uint ReadMxcsr(ReadOnlySpan<byte> area) => BinaryPrimitives.ReadUInt32LittleEndian(area[MxcsrOffset..]);

    /// <summary>Writes XMM0 to XMM(<paramref name="count"/> − 1).</summary>
    public static void SaveXmm(CpuCore c, Span<byte> area, int count)
    {
        for (int i = 0; i < 2 * count; i++) BinaryPrimitives.WriteUInt64LittleEndian(area[(XmmOffset + 8 * i)..], c.Xmm[i]);
    }

    /// <summary>Loads XMM0 to XMM(<paramref name="count"/> − 1).</summary>
    public static void LoadXmm(CpuCore c, ReadOnlySpan<byte> area, int count)
    {
        for (int i = 0; i < 2 * count; i++) c.Xmm[i] = BinaryPrimitives.ReadUInt64LittleEndian(area[(XmmOffset + 8 * i)..]);
    }

    /// <summary>The x87 initial configuration that XRSTOR loads for an x87 component marked initial (SDM Vol. 1 §13.6).</summary>
    public static void InitX87(CpuCore c)
    {
        c.FpuInit();
        Array.Clear(c.FpuRegisters);
    }

    /// <summary>True when the x87 state differs from its initial configuration (XINUSE[0], SDM Vol. 1 §13.6).</summary>
    public static bool X87InUse(CpuCore c)
    {
        if (c.Fcw != InitialFcw || c.Fsw != 0 || c.Ftw != 0xFFFF || c.Fop != 0 || c.FpuIp != 0 || c.FpuDp != 0 || c.FpuCs != 0 || c.FpuDs != 0)
            return true;
        foreach (var r in c.FpuRegisters)
            if (!r.IsZero || r.Sign) return true;
        return false;
    }

    /// <summary>True when XMM0 to XMM(<paramref name="count"/> − 1) are not all zero (XINUSE[1]; MXCSR does not count).</summary>
    public static bool SseInUse(CpuCore c, int count)
    {
        for (int i = 0; i < 2 * count; i++)
            if (c.Xmm[i] != 0) return true;
        return false;
    }

    /// <summary>Writes bytes [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="area"/> to guest memory at <paramref name="la"/>, eight at a time.</summary>
    public static void Store(CpuCore c, ulong la, ReadOnlySpan<byte> area, int from, int to)
    {
        for (int o = from; o < to; o += 8) c.Write64(la + (ulong)o, BinaryPrimitives.ReadUInt64LittleEndian(area[o..]));
    }

    /// <summary>Reads bytes [<paramref name="from"/>, <paramref name="to"/>) of the area at <paramref name="la"/> into <paramref name="area"/>.</summary>
    public static void Fetch(CpuCore c, ulong la, Span<byte> area, int from, int to)
    {
        for (int o = from; o < to; o += 8) BinaryPrimitives.WriteUInt64LittleEndian(area[o..], c.Read64(la + (ulong)o));
    }
}
