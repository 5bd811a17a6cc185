namespace Smp.Devices.Cpu;

/// <summary>
/// A segment register with its hidden descriptor cache (SDM Vol. 3A §3.4.3): the selector the
/// guest sees plus the base, limit and attributes loaded from the descriptor when the selector was written.
/// </summary>
public struct SegmentRegister
{
    /// <summary>The visible 16-bit selector.</summary>
    public ushort Selector;

    /// <summary>The cached base address (for FS and GS in 64-bit mode, the FS_BASE/GS_BASE MSR value).</summary>
    public ulong Base;

    /// <summary>The cached limit, already scaled by the granularity bit (a byte count minus one).</summary>
    public uint Limit;

    /// <summary>
    /// The cached attribute bits as in descriptor bytes 5 and 6: bits 0–3 type, 4 S, 5–6 DPL, 7 P,
    /// 12 AVL, 13 L, 14 D/B, 15 G.
    /// </summary>
    public ushort Attributes;

    /// <summary>Descriptor privilege level held in the cache.</summary>
    public readonly int Dpl => (Attributes >> 5) & 3;

    /// <summary>The present bit of the cached descriptor.</summary>
    public readonly bool Present => (Attributes & 0x80) != 0;

    /// <summary>The D/B bit: 32-bit default operand size for code, 32-bit stack (B) for stack segments.</summary>
    public readonly bool DefaultBig => (Attributes & 0x4000) != 0;

    /// <summary>The L bit: a 64-bit code segment.</summary>
    public readonly bool Long => (Attributes & 0x2000) != 0;

    /// <summary>True for an expand-down data segment (type bit 2 set on a data segment).</summary>
    public readonly bool ExpandDown => (Attributes & 0x1C) == 0x14;

    /// <summary>A real-mode segment: base = selector × 16, limit 0xFFFF, present read/write data.</summary>
    public static SegmentRegister RealMode(ushort selector, ushort attributes = 0x93) =>
        new() { Selector = selector, Base = (ulong)selector << 4, Limit = 0xFFFF, Attributes = attributes };

    /// <inheritdoc />
    public override readonly string ToString() => $"{Selector:X4} base={Base:X} limit={Limit:X} attr={Attributes:X4}";
}

/// <summary>Segment register numbers in encoding order (ES, CS, SS, DS, FS, GS).</summary>
public static class Seg
{
    /// <summary>ES.</summary>
    public const int ES = 0;
    /// <summary>CS.</summary>
    public const int CS = 1;
    /// <summary>SS.</summary>
    public const int SS = 2;
    /// <summary>DS.</summary>
    public const int DS = 3;
    /// <summary>FS.</summary>
    public const int FS = 4;
    /// <summary>GS.</summary>
    public const int GS = 5;
}
