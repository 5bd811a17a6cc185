using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Cpu.Benchmark;

/// <summary>A CPU-bound loop for <see cref="CpuBenchmark"/>: one class of instructions, or a mix.</summary>
/// <param name="Name">Short name (<c>alu</c>, <c>loads</c>, ...).</param>
/// <param name="Description">What the loop does.</param>
/// <param name="Build">Emits the loop at the code base (RSI = data area, RBX = 1, the counter effectively endless) and returns its instructions per iteration.</param>
public sealed record CpuWorkload(string Name, string Description, Func<Assembler, int> Build);

/// <summary>
/// The loops of <c>smp bench cpu</c>. Each runs in 64-bit mode with RSI pointing at a zeroed data area; the loop counter
/// starts at 2^63 − 1, so a run ends on its instruction budget, never on the loop.
/// </summary>
public static class CpuWorkloads
{
    /// <summary>Where the benchmark machine keeps its data (RSI).</summary>
    public const ulong DataBase = 0x30_0000;

    /// <summary>Register ALU work: ADD, SUB, XOR, AND, OR, shifts, LEA, IMUL, CMP/ADC, 16 per iteration.</summary>
    public static readonly CpuWorkload Alu = new("alu", "register ALU: add/sub/xor/and/or/shl/shr/lea/imul/cmp/adc", a =>
    {
        Loop(a, rcx, () =>
        {
            a.add(rax, rbx);
            a.sub(rdx, rax);
            a.xor(rbx, rdx);
            a.and(rdi, rax);
            a.or(r8, rbx);
            a.shl(rax, 3);
            a.shr(rdx, 1);
            a.lea(r9, __[rax + rbx * 2 + 7]);
            a.imul(r10, r9, 13);
            a.cmp(r10, rdx);
            a.adc(r11, rax);
            a.inc(rbx);
            a.sar(r11, 2);
            a.add(edi, 5);
        });
        return 16;
    });

    /// <summary>Loads of 8 to 64 bits with base, index and displacement addressing.</summary>
    public static readonly CpuWorkload Loads = new("loads", "loads: mov/movzx/movsx/add from memory, several addressing forms", a =>
    {
        Loop(a, rcx, () =>
        {
            a.mov(rax, __qword_ptr[rsi]);
            a.mov(rbx, __qword_ptr[rsi + 8]);
            a.movzx(edx, __byte_ptr[rsi + 16]);
            a.mov(edi, __dword_ptr[rsi + rdx * 4 + 64]);
            a.movsx(r8, __word_ptr[rsi + 24]);
            a.add(rax, __qword_ptr[rsi + 32]);
            a.mov(r9, __qword_ptr[rsi + rdx * 8 + 128]);
            a.mov(r10d, __dword_ptr[rsi + 40]);
            a.movsxd(r11, __dword_ptr[rsi + 44]);
            a.mov(r12, __qword_ptr[rsi + 48]);
            a.cmp(rax, __qword_ptr[rsi + 56]);
            a.mov(r13, __qword_ptr[rsi + rbx + 256]);
            a.mov(r14, __qword_ptr[rsi + 72]);
            a.movzx(r15d, __word_ptr[rsi + 80]);
        });
        return 16;
    });

    /// <summary>Stores of 8 to 64 bits, registers and immediates.</summary>
    public static readonly CpuWorkload Stores = new("stores", "stores: mov to memory from registers and immediates, 8 to 64 bits", a =>
    {
        Loop(a, rcx, () =>
        {
            a.mov(__qword_ptr[rsi], rax);
            a.mov(__qword_ptr[rsi + 8], rcx);
            a.mov(__dword_ptr[rsi + 16], ecx);
            a.mov(__byte_ptr[rsi + 20], cl);
            a.mov(__word_ptr[rsi + 22], cx);
            a.mov(__qword_ptr[rsi + 24], 7);
            a.mov(__dword_ptr[rsi + 32], 9);
            a.mov(__qword_ptr[rsi + rbx * 8 + 64], rcx);
            a.mov(__qword_ptr[rsi + 40], rdx);
            a.mov(__qword_ptr[rsi + 48], rdi);
            a.mov(__byte_ptr[rsi + 56], 1);
            a.mov(__qword_ptr[rsi + 128], r8);
            a.mov(__qword_ptr[rsi + 136], r9);
            a.mov(__word_ptr[rsi + 144], 3);
        });
        return 16;
    });

    /// <summary>Compares and conditional branches, taken and not taken in a fixed pattern.</summary>
    public static readonly CpuWorkload Branches = new("branches", "branches: cmp/test and Jcc, taken and not taken in a fixed pattern", a =>
    {
        var top = a.CreateLabel();
        var l1 = a.CreateLabel();
        var l2 = a.CreateLabel();
        var l3 = a.CreateLabel();
        Prologue(a);
        a.xor(eax, eax);
        a.Label(ref top);
        a.inc(rax);
        a.test(al, 1);
        a.jz(l1);
        a.add(rbx, 1);
        a.Label(ref l1);
        a.test(al, 2);
        a.jnz(l2);
        a.sub(rdx, 1);
        a.Label(ref l2);
        a.cmp(rax, rdi);
        a.jae(l3);
        a.add(rdi, 3);
        a.Label(ref l3);
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
        return 13;
    });

    /// <summary>Near calls and returns, nested, with pushes and pops.</summary>
    public static readonly CpuWorkload Calls = new("calls", "calls: call/ret (nested), push/pop", a =>
    {
        var top = a.CreateLabel();
        var f = a.CreateLabel();
        var g = a.CreateLabel();
        Prologue(a);
        a.Label(ref top);
        a.call(f);
        a.push(rax);
        a.call(g);
        a.pop(rdx);
        a.dec(rcx);
        a.jnz(top);
        a.hlt();
        a.Label(ref f);
        a.push(rbx);
        a.add(rax, rbx);
        a.call(g);
        a.pop(rbx);
        a.ret();
        a.Label(ref g);
        a.inc(rdi);
        a.ret();
        return 16;
    });

    /// <summary>REP MOVSB, REP STOSQ and LODSB on short buffers.</summary>
    public static readonly CpuWorkload Strings = new("strings", "string ops: rep movsb (64 B), rep stosq (64 B), lodsb, per iteration", a =>
    {
        Loop(a, r12, () =>
        {
            a.lea(rdi, __[rsi + 0x1000]);
            a.mov(r13, rsi);
            a.mov(ecx, 64);
            a.rep.movsb();
            a.mov(rsi, r13);
            a.lea(rdi, __[rsi + 0x2000]);
            a.mov(ecx, 8);
            a.rep.stosq();
            a.lodsb();
            a.mov(rsi, r13);
        });
        return 12;
    });

    /// <summary>
    /// The headline loop of <c>smp bench cpu</c>: ALU, loads and stores, two branches and a CALL/RET pair; 22 instructions
    /// per iteration (21 when JE is taken).
    /// </summary>
    public static readonly CpuWorkload Mixed = new("mixed", "mixed: loads/stores, ALU, LEA, CALL/RET, two branches", a =>
    {
        var top = a.CreateLabel();
        var skip = a.CreateLabel();
        var func = a.CreateLabel();
        var done = a.CreateLabel();
        Prologue(a);
        a.Label(ref top);
        a.mov(rax, __qword_ptr[rsi]);
        a.add(rax, rbx);
        a.mov(__qword_ptr[rsi + 8], rax);
        a.xor(rdx, rax);
        a.and(rdx, 0x7F);
        a.shl(rdx, 2);
        a.lea(rdi, __[rsi + rdx + 64]);
        a.mov(__qword_ptr[rdi], rbx);
        a.call(func);
        a.test(rax, rbx);
        a.je(skip);
        a.add(rbx, rax);
        a.Label(ref skip);
        a.sub(__qword_ptr[rsi + 24], 1);
        a.cmp(rdx, 0x200);
        a.ja(done);
        a.mov(r8, __qword_ptr[rsi + 8]);
        a.add(r8, rdx);
        a.mov(__qword_ptr[rsi + 16], r8);
        a.dec(rcx);
        a.jne(top);
        a.Label(ref done);
        a.hlt();
        a.Label(ref func);
        a.add(rax, 1);
        a.ret();
        return 22;
    });

    /// <summary>
    /// The loop of the QEMU comparison (<c>smp bench qemu</c>), 16 instructions per iteration: loads, stores, a
    /// read-modify-write, ALU, LEA, CMOV and the loop branch. <see cref="EmitP01Body"/> emits it for the disk image too.
    /// </summary>
    public static readonly CpuWorkload P01 = new("p01", "p01: the QEMU-comparison loop (16 per iteration)", a =>
    {
        Prologue(a);
        a.xor(edx, edx);
        a.xor(edi, edi);
        EmitP01Body(a);
        a.hlt();
        return 16;
    });

    /// <summary>Every workload, the per-class ones first.</summary>
    public static IReadOnlyList<CpuWorkload> All { get; } = [Alu, Loads, Stores, Branches, Calls, Strings, Mixed, P01];

    /// <summary>
    /// Emits the 16-instruction p01 loop: RSI = data (at least 4.2 KiB, zeroed), RCX = iterations (≥ 1), RBX = RDX = RDI = 0.
    /// </summary>
    public static void EmitP01Body(Assembler a)
    {
        var top = a.CreateLabel();
        a.Label(ref top);
        a.mov(rax, __qword_ptr[rsi]);
        a.add(rax, rbx);
        a.mov(__qword_ptr[rsi + 8], rax);
        a.xor(rdx, rax);
        a.and(edx, 0xFF8);
        a.mov(r8, __qword_ptr[rsi + rdx + 64]);
        a.add(r8, rcx);
        a.mov(__qword_ptr[rsi + rdx + 64], r8);
        a.lea(rbx, __[rbx + rbx * 4 + 1]);
        a.shr(rbx, 1);
        a.inc(__qword_ptr[rsi + 16]);
        a.test(rax, 1);
        a.cmovne(rdi, r8);
        a.sub(rbx, rdi);
        a.dec(rcx);
        a.jnz(top);
    }

    // RSI = data area, RCX = iteration counter (effectively endless: the run stops on its budget), RBX = 1.
    private static void Prologue(Assembler a)
    {
        a.mov(rsi, (long)DataBase);
        a.mov(rcx, long.MaxValue);
        a.mov(r12, long.MaxValue);
        a.mov(rbx, 1L);
    }

    // The body, then DEC counter / JNZ.
    private static void Loop(Assembler a, AssemblerRegister64 counter, Action body)
    {
        var top = a.CreateLabel();
        Prologue(a);
        a.Label(ref top);
        body();
        a.dec(counter);
        a.jnz(top);
        a.hlt();
    }
}
