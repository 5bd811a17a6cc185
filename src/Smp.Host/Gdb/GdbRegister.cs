namespace Smp.Host.Gdb;

/// <summary>Which piece of CPU state a gdb register shows (<see cref="GdbRegister.Index"/> picks among several).</summary>
internal enum GdbRegisterKind
{
    /// <summary>A general register, by the CPU's encoding number (RAX 0, RCX 1 … R15 15).</summary>
    Gpr,

    /// <summary>The program counter: the linear address of the next instruction (CS base + RIP).</summary>
    Pc,

    /// <summary>RFLAGS (EFLAGS).</summary>
    Flags,

    /// <summary>A segment selector, by <see cref="Devices.Cpu.Seg"/> number.</summary>
    Segment,

    /// <summary>ST(i) of the x87 stack.</summary>
    St,

    /// <summary>An x87 control register: 0 fctrl, 1 fstat, 2 ftag, 3 fiseg, 4 fioff, 5 foseg, 6 fooff, 7 fop.</summary>
    FpuControl,

    /// <summary>XMMi.</summary>
    Xmm,

    /// <summary>MXCSR.</summary>
    Mxcsr,

    /// <summary>A segment base MSR: 0 fs_base, 1 gs_base, 2 k_gs_base (IA32_KERNEL_GS_BASE).</summary>
    Base,

    /// <summary>A control register or EFER: 0 CR0, 2 CR2, 3 CR3, 4 CR4, 8 CR8, 9 EFER.</summary>
    System,
}

/// <summary>One register of a target description: its gdb name, size, tdesc type and what it shows.</summary>
/// <param name="Name">The name gdb knows it by (<c>rax</c>, <c>eip</c>, <c>gs_base</c>).</param>
/// <param name="Bits">Its size in the <c>g</c> packet.</param>
/// <param name="Type">Its target-description type.</param>
/// <param name="Kind">What it shows.</param>
/// <param name="Index">Which one of that kind.</param>
internal readonly record struct GdbRegister(string Name, int Bits, string Type, GdbRegisterKind Kind, int Index)
{
    /// <summary>Its size in bytes.</summary>
    public int Bytes => Bits / 8;
}
