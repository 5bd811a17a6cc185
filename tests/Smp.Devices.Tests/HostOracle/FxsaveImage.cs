using System.Buffers.Binary;
using System.Text;

namespace Smp.Devices.Tests.HostOracle;

/// <summary>
/// A 512-byte FXSAVE image in the 64-bit layout that FXSAVE64/FXRSTOR64 (REX.W) use (SDM Vol. 2A FXSAVE,
/// Table 3-52 with a 64-bit FPU IP and DP): FCW, FSW, abridged FTW, FOP, FIP, FDP, MXCSR, MXCSR_MASK, ST0–ST7
/// (in stack order, 10 bytes each in 16-byte slots), XMM0–XMM15. The x87 and SSE state a differential test gives
/// the host oracle and reads back (<see cref="MachineState.Fx"/>).
/// </summary>
public sealed class FxsaveImage
{
    /// <summary>Size of the image in bytes.</summary>
    public const int Size = 512;

    /// <summary>Byte offsets of the fields.</summary>
    public const int FcwOffset = 0, FswOffset = 2, FtwOffset = 4, FopOffset = 6, FipOffset = 8, FdpOffset = 16,
        MxcsrOffset = 24, MxcsrMaskOffset = 28, StOffset = 32, XmmOffset = 160;

    /// <summary>The raw image.</summary>
    public byte[] Bytes { get; } = new byte[Size];

    /// <summary>The state FNINIT and a fresh Linux thread give: FCW 037Fh, every register empty, MXCSR 1F80h.</summary>
    public static FxsaveImage CreateDefault()
    {
        var f = new FxsaveImage { Fcw = 0x037F, Mxcsr = 0x1F80 };
        return f;
    }

    /// <summary>x87 control word.</summary>
    public ushort Fcw { get => U16(FcwOffset); set => Set16(FcwOffset, value); }

    /// <summary>x87 status word (TOP in bits 11–13).</summary>
    public ushort Fsw { get => U16(FswOffset); set => Set16(FswOffset, value); }

    /// <summary>Abridged tag word: bit i = 1 when physical register Ri is not empty.</summary>
    public byte Ftw { get => Bytes[FtwOffset]; set => Bytes[FtwOffset] = value; }

    /// <summary>Last x87 opcode (11 bits).</summary>
    public ushort Fop { get => U16(FopOffset); set => Set16(FopOffset, value); }

    /// <summary>Last x87 instruction pointer (64-bit layout).</summary>
    public ulong Fip { get => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(FipOffset)); set => BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(FipOffset), value); }

    /// <summary>Last x87 data pointer (64-bit layout).</summary>
    public ulong Fdp { get => BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(FdpOffset)); set => BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(FdpOffset), value); }

    /// <summary>MXCSR.</summary>
    public uint Mxcsr { get => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(MxcsrOffset)); set => BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(MxcsrOffset), value); }

    /// <summary>MXCSR_MASK as FXSAVE stores it (ignored by FXRSTOR).</summary>
    public uint MxcsrMask { get => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(MxcsrMaskOffset)); set => BinaryPrimitives.WriteUInt32LittleEndian(Bytes.AsSpan(MxcsrMaskOffset), value); }

    /// <summary>TOP, the stack top (FSW bits 11–13).</summary>
    public int Top => (Fsw >> 11) & 7;

    /// <summary>ST(i) (stack order): the 64-bit significand and the sign/exponent word.</summary>
    public (ulong Significand, ushort SignExponent) GetSt(int i)
    {
        int o = StOffset + 16 * i;
        return (BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(o)), BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(o + 8)));
    }

    /// <summary>Sets ST(i) (stack order); the 6 reserved bytes of the slot are cleared.</summary>
    public void SetSt(int i, ulong significand, ushort signExponent)
    {
        int o = StOffset + 16 * i;
        BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(o), significand);
        BinaryPrimitives.WriteUInt16LittleEndian(Bytes.AsSpan(o + 8), signExponent);
        Bytes.AsSpan(o + 10, 6).Clear();
    }

    /// <summary>XMMn as (low, high) quadwords.</summary>
    public (ulong Low, ulong High) GetXmm(int n)
    {
        int o = XmmOffset + 16 * n;
        return (BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(o)), BinaryPrimitives.ReadUInt64LittleEndian(Bytes.AsSpan(o + 8)));
    }

    /// <summary>Sets XMMn.</summary>
    public void SetXmm(int n, ulong low, ulong high)
    {
        int o = XmmOffset + 16 * n;
        BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(o), low);
        BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(o + 8), high);
    }

    /// <summary>True when the ES bit is set or an exception flag of FSW is unmasked in FCW: the next waiting x87 or MMX instruction would raise #MF.</summary>
    public bool X87ExceptionPending => (Fsw & 0x80) != 0 || (Fsw & ~Fcw & 0x3F) != 0;

    /// <summary>Deep copy.</summary>
    public FxsaveImage Clone()
    {
        var f = new FxsaveImage();
        Bytes.CopyTo(f.Bytes, 0);
        return f;
    }

    /// <summary>
    /// Compares this (actual) image with <paramref name="expected"/> field by field; <paramref name="fswMask"/> selects the FSW bits
    /// compared and <paramref name="ipDp"/> whether FOP/FIP/FDP are. ST registers are compared only where the abridged tag marks them
    /// valid in <paramref name="expected"/> (an empty register's contents are not architectural); XMM and MXCSR always. Null when equal.
    /// </summary>
    public string? DiffFrom(FxsaveImage expected, ushort fswMask = 0xFFFF, bool ipDp = false)
    {
        var sb = new StringBuilder();
        if (Fcw != expected.Fcw) sb.Append($"fcw: expected {expected.Fcw:X4}, actual {Fcw:X4}\n");
        if (((Fsw ^ expected.Fsw) & fswMask) != 0) sb.Append($"fsw (mask {fswMask:X4}): expected {expected.Fsw:X4}, actual {Fsw:X4}\n");
        if (Ftw != expected.Ftw) sb.Append($"ftw: expected {expected.Ftw:X2}, actual {Ftw:X2}\n");
        if (ipDp)
        {
            if ((Fop & 0x7FF) != (expected.Fop & 0x7FF)) sb.Append($"fop: expected {expected.Fop:X3}, actual {Fop:X3}\n");
            if (Fip != expected.Fip) sb.Append($"fip: expected {expected.Fip:X}, actual {Fip:X}\n");
            if (Fdp != expected.Fdp) sb.Append($"fdp: expected {expected.Fdp:X}, actual {Fdp:X}\n");
        }
        if (Mxcsr != expected.Mxcsr) sb.Append($"mxcsr: expected {expected.Mxcsr:X8}, actual {Mxcsr:X8}\n");
        int top = expected.Top;
        for (int i = 0; i < 8; i++)
        {
            if ((expected.Ftw & (1 << ((top + i) & 7))) == 0) continue;
            var e = expected.GetSt(i);
            var a = GetSt(i);
            if (e != a) sb.Append($"st{i}: expected {e.SignExponent:X4}:{e.Significand:X16}, actual {a.SignExponent:X4}:{a.Significand:X16}\n");
        }
        for (int n = 0; n < 16; n++)
            if (GetXmm(n) != expected.GetXmm(n))
                sb.Append($"xmm{n}: expected {expected.GetXmm(n).High:X16}{expected.GetXmm(n).Low:X16}, actual {GetXmm(n).High:X16}{GetXmm(n).Low:X16}\n");
        return sb.Length == 0 ? null : sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"fcw={Fcw:X4} fsw={Fsw:X4} (top {Top}) ftw={Ftw:X2} mxcsr={Mxcsr:X8}");
        for (int i = 0; i < 8; i++)
        {
            var (m, se) = GetSt(i);
            bool valid = (Ftw & (1 << ((Top + i) & 7))) != 0;
            sb.Append(i % 4 == 0 ? '\n' : ' ').Append($"st{i}={(valid ? "" : "(empty)")}{se:X4}:{m:X16}");
        }
        return sb.ToString();
    }

    private ushort U16(int o) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes.AsSpan(o));

    private void Set16(int o, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Bytes.AsSpan(o), v);
}
