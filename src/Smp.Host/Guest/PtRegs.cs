namespace Smp.Host.Guest;

/// <summary>
/// Byte offsets in the register frame the built-in kernel's exception entries save (Linux's
/// <c>struct pt_regs</c> order): the entry pushes orig_ax (the error code, or -1) and the general registers
/// below the hardware frame, then passes its address in RDI to <c>do_nmi</c>, <c>do_debug</c>, <c>do_int3</c>,
/// <c>do_page_fault</c> or <c>do_double_fault</c>. <see cref="Ip"/> is where an unwinder finds the
/// interrupted RIP (a reliable slot, fact F).
/// </summary>
public static class PtRegs
{
    /// <summary>R15.</summary>
    public const int R15 = 0;

    /// <summary>R14.</summary>
    public const int R14 = 8;

    /// <summary>R13.</summary>
    public const int R13 = 16;

    /// <summary>R12.</summary>
    public const int R12 = 24;

    /// <summary>RBP of the interrupted code.</summary>
    public const int Bp = 32;

    /// <summary>RBX.</summary>
    public const int Bx = 40;

    /// <summary>R11.</summary>
    public const int R11 = 48;

    /// <summary>R10.</summary>
    public const int R10 = 56;

    /// <summary>R9.</summary>
    public const int R9 = 64;

    /// <summary>R8.</summary>
    public const int R8 = 72;

    /// <summary>RAX.</summary>
    public const int Ax = 80;

    /// <summary>RCX.</summary>
    public const int Cx = 88;

    /// <summary>RDX.</summary>
    public const int Dx = 96;

    /// <summary>RSI.</summary>
    public const int Si = 104;

    /// <summary>RDI.</summary>
    public const int Di = 112;

    /// <summary>The error code, or -1 for exceptions without one.</summary>
    public const int OrigAx = 120;

    /// <summary>Interrupted RIP (hardware frame from here on).</summary>
    public const int Ip = 128;

    /// <summary>Interrupted CS.</summary>
    public const int Cs = 136;

    /// <summary>Interrupted RFLAGS.</summary>
    public const int Flags = 144;

    /// <summary>Interrupted RSP.</summary>
    public const int Sp = 152;

    /// <summary>Interrupted SS.</summary>
    public const int Ss = 160;

    /// <summary>Size of the frame.</summary>
    public const int Size = 168;
}
