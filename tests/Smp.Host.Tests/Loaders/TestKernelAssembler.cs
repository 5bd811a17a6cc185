using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Tests.Loaders;

/// <summary>
/// 32-bit guest code that prints on COM1, for the test kernels: strings, hex and decimal numbers. Every helper preserves
/// the registers and clobbers the flags.
/// </summary>
internal sealed class TestKernelAssembler
{
    private Label _putc, _puts, _hex, _dec;

    public TestKernelAssembler(Assembler a)
    {
        A = a;
        _putc = a.CreateLabel();
        _puts = a.CreateLabel();
        _hex = a.CreateLabel();
        _dec = a.CreateLabel();
    }

    public Assembler A { get; }

    /// <summary>Prints a constant string, kept inline: a CALL over it pushes its address (32-bit code has no RIP-relative LEA).</summary>
    public void Print(string text)
    {
        var after = A.CreateLabel();
        A.push(esi);
        A.call(after);
        A.db(Encoding.ASCII.GetBytes(text + "\0"));
        A.Label(ref after);
        A.pop(esi);
        A.call(_puts);
        A.pop(esi);
    }

    /// <summary>Prints the NUL-terminated string at the address in <paramref name="pointer"/> (not ESI).</summary>
    public void PrintAt(AssemblerRegister32 pointer)
    {
        A.push(esi);
        A.mov(esi, pointer);
        A.call(_puts);
        A.pop(esi);
    }

    /// <summary>Prints EAX as 8 hex digits.</summary>
    public void Hex() => A.call(_hex);

    /// <summary>Prints EAX in decimal.</summary>
    public void Dec() => A.call(_dec);

    /// <summary>Prints AL.</summary>
    public void Char() => A.call(_putc);

    /// <summary>Prints "yes" when the flags say equal (ZF = 1), else "no", then a newline.</summary>
    public void YesIfEqual()
    {
        Label no = A.CreateLabel(), done = A.CreateLabel();
        A.jne(no);
        Print("yes\n");
        A.jmp(done);
        A.Label(ref no);
        Print("no\n");
        A.Label(ref done);
    }

    /// <summary>Ends the kernel: isa-debug-exit with 0 (exit code 1), then HLT.</summary>
    public void Exit()
    {
        A.mov(al, 0);
        A.@out(0xF4, al);
        A.cli();
        A.hlt();
    }

    /// <summary>Emits the helper routines (call after the code).</summary>
    public void EmitRuntime()
    {
        var a = A;
        Label wait = a.CreateLabel(), loop = a.CreateLabel(), done = a.CreateLabel(), digit = a.CreateLabel(), divide = a.CreateLabel(), print = a.CreateLabel();
        a.Label(ref _putc);          // putc(al): poll LSR.THRE, then THR
        a.push(edx);
        a.push(eax);
        a.mov(dx, 0x3FD);
        a.Label(ref wait);
        a.@in(al, dx);
        a.test(al, 0x20);
        a.jz(wait);
        a.pop(eax);
        a.mov(dx, 0x3F8);
        a.@out(dx, al);
        a.pop(edx);
        a.ret();

        a.Label(ref _puts);          // puts(esi)
        a.push(eax);
        a.push(esi);
        a.Label(ref loop);
        a.lodsb();
        a.test(al, al);
        a.jz(done);
        a.call(_putc);
        a.jmp(loop);
        a.Label(ref done);
        a.pop(esi);
        a.pop(eax);
        a.ret();

        a.Label(ref _hex);           // hex(eax): 8 digits
        a.push(ecx);
        a.push(eax);
        a.mov(ecx, 8);
        a.Label(ref digit);
        a.rol(dword_ptr_reg(esp), 4);
        a.mov(eax, __dword_ptr[esp]);
        a.and(eax, 0xF);
        a.add(al, (byte)'0');
        var letter = a.CreateLabel();
        a.cmp(al, (byte)'9');
        a.jbe(letter);
        a.add(al, 7);
        a.Label(ref letter);
        a.call(_putc);
        a.loop(digit);
        a.pop(eax);
        a.pop(ecx);
        a.ret();

        a.Label(ref _dec);           // dec(eax)
        a.push(eax);
        a.push(ecx);
        a.push(edx);
        a.push(ebx);
        a.xor(ecx, ecx);
        a.mov(ebx, 10);
        a.Label(ref divide);
        a.xor(edx, edx);
        a.div(ebx);
        a.push(edx);
        a.inc(ecx);
        a.test(eax, eax);
        a.jnz(divide);
        a.Label(ref print);
        a.pop(eax);
        a.add(al, (byte)'0');
        a.call(_putc);
        a.loop(print);
        a.pop(ebx);
        a.pop(edx);
        a.pop(ecx);
        a.pop(eax);
        a.ret();
    }

    private static AssemblerMemoryOperand dword_ptr_reg(AssemblerRegister32 r) => __dword_ptr[r];
}
