namespace Smp.Devices.Cpu;

/// <summary>
/// The 64-bit TSS layout (SDM Vol. 3A §7.7, fact sheet B2): RSP0–RSP2 at 0x04, 0x0C, 0x14 and
/// IST1–IST7 at 0x24–0x54. Delivery reads it, and so do observers that report IST stacks.
/// </summary>
public static class Tss64
{
    /// <summary>Offset of RSP0.</summary>
    public const ulong Rsp0 = 0x04;

    /// <summary>Offset of IST1.</summary>
    public const ulong Ist1 = 0x24;

    /// <summary>Offset of the stack pointer for privilege level <paramref name="cpl"/> (0–2).</summary>
    public static ulong RspOffset(int cpl) => Rsp0 + ((ulong)cpl * 8);

    /// <summary>Offset of IST slot <paramref name="ist"/> (1–7).</summary>
    public static ulong IstOffset(int ist) => Ist1 + ((ulong)(ist - 1) * 8);
}
