using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>
/// The 64-bit kernel: one chunk at <see cref="KernelLayout.Kernel64"/>, written subsystem by subsystem in
/// the partial files (head_64, printk, start_kernel, ACPI, traps, cpu_init, time, APIC, smpboot).
/// Calling convention: arguments in RDI, RSI, RDX; result in RAX; RBX, RBP, R12–R15 preserved.
/// The printk helpers preserve every register. Every function keeps a frame pointer.
/// </summary>
internal sealed partial class Kernel64Builder
{
    private const uint ApicBase = 0xFEE00000;
    private readonly CodeChunk c;
    private readonly KernelOptions options;

    /// <summary>Creates the builder.</summary>
    /// <param name="options">Build-time choices.</param>
    public Kernel64Builder(KernelOptions options)
    {
        this.options = options;
        c = new CodeChunk("kernel", 64, KernelLayout.Kernel64, 0, 0x30000);
    }

    private Assembler A => c.A;

    /// <summary>Emits the whole kernel and assembles it.</summary>
    /// <returns>The bytes and symbols.</returns>
    public (byte[] Bytes, List<KernelSymbol> Symbols) Build()
    {
        EmitHead64();
        EmitStartKernel();
        EmitPrintk();
        EmitAcpi();
        EmitPerCpu();
        EmitTraps();
        EmitTime();
        EmitApic();
        EmitSmpBoot();
        return c.Assemble();
    }

    /// <summary>Starts a function with the frame-pointer prologue.</summary>
    private void Begin(string name)
    {
        c.Function(name);
        A.push(rbp);
        A.mov(rbp, rsp);
    }

    /// <summary>The frame-pointer epilogue.</summary>
    private void End()
    {
        A.leave();
        A.ret();
    }

    private void Call(string name) => A.call(c.L(name));

    /// <summary>printk a constant string (clobbers RDI).</summary>
    private void Print(string text)
    {
        A.lea(rdi, __[c.Str(text)]);
        Call("printk");
    }

    /// <summary>printk a register in hex with <paramref name="digits"/> digits (clobbers RDI, RSI).</summary>
    private void PrintHex(AssemblerRegister64 value, int digits)
    {
        if (value != rdi)
        {
            A.mov(rdi, value);
        }

        A.mov(esi, digits);
        Call("printk_hex");
    }

    /// <summary>printk a register in decimal (clobbers RDI).</summary>
    private void PrintDec(AssemblerRegister64 value)
    {
        if (value != rdi)
        {
            A.mov(rdi, value);
        }

        Call("printk_dec");
    }

    /// <summary>RAX = RDX:RAX from RDTSC as one 64-bit count (clobbers RDX).</summary>
    private void ReadTsc()
    {
        A.rdtsc();
        A.shl(rdx, 32);
        A.or(rax, rdx);
    }

    /// <summary>reg = base + index * stride (index register, stride a power of two).</summary>
    private void Scaled(AssemblerRegister64 target, AssemblerRegister64 index, int shift, ulong baseAddress)
    {
        A.mov(target, index);
        A.shl(target, (byte)shift);
        A.add(target, (int)baseAddress);
    }

    private void OutByte(ushort port, byte value)
    {
        A.mov(dx, port);
        A.mov(al, value);
        A.@out(dx, al);
    }
}
