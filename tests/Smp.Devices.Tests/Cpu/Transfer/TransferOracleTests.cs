using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.HostOracle;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Transfer;

/// <summary>
/// Differential tests against the host processor: one instruction runs on the host oracle and on the
/// simulator with the same registers, flags and memory window. The window is placed at
/// <see cref="TestMachine.DataBase"/> in the simulator; registers pointing into it are rebased both ways.
/// </summary>
public class TransferOracleTests
{
    private const ulong SimWindow = TestMachine.DataBase;

    private static ulong ToSim(ulong v) => v - HostCpu.MemoryBase < HostCpu.WindowSize ? v - HostCpu.MemoryBase + SimWindow : v;

    private static ulong ToHost(ulong v) => v - SimWindow < HostCpu.WindowSize ? v - SimWindow + HostCpu.MemoryBase : v;

    private static ulong W(int offset) => HostCpu.MemoryBase + (ulong)offset;

    private static void AssertSame(Action<Assembler> build, MachineState input)
    {
        byte[] code = Asm.Assemble(build);
        var host = HostCpu.Execute(code, input);
        Assert.False(host.Faulted, host.Fault);
        var expected = host.Output!;

        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        for (int i = 0; i < 16; i++) c.R[i] = ToSim(input.Gpr[i]);
        c.R[Reg.RSP] = SimWindow + HostCpu.StackTopOffset;
        c.SetRflags((input.Rflags & FlagsMask.Controllable) | Rflags.IF);   // the oracle runs with IF = 1
        m.Memory.Load(SimWindow, input.Memory);
        m.Memory.Load(TestMachine.CodeBase, code);
        Assert.Null(Stepper.Step(m));

        var actual = new MachineState { Rflags = c.GetRflags() };
        for (int i = 0; i < 16; i++) actual.Gpr[i] = ToHost(c.R[i]);
        for (int i = 0; i < HostCpu.WindowSize; i++) actual.Memory[i] = (byte)m.Memory.Read(SimWindow + (ulong)i, 1);
        var diff = actual.DiffFrom(expected, FlagsMask.Defined(host.Instruction));
        Assert.True(diff == null, $"{host.Instruction}: {diff}");
    }

    private static MachineState Input(ulong seed)
    {
        var s = MachineState.CreateDefault();
        var rng = new Random((int)seed);
        for (int i = 0; i < 16; i++) if (i != Reg.RSP) s.Gpr[i] = (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40);
        for (int i = 0; i < HostCpu.WindowSize; i++) s.Memory[i] = (byte)rng.Next(256);
        s.Rflags = 0x2 | ((ulong)rng.Next() & 0x8D5);
        return s;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Stack_instructions_match_the_host(int seed)
    {
        var s = Input((ulong)seed);
        AssertSame(a => a.push(rbx), s);
        AssertSame(a => a.push(bx), s);
        AssertSame(a => a.push(-100), s);
        AssertSame(a => a.push(0x1234_5678), s);
        AssertSame(a => a.pop(rcx), s);
        AssertSame(a => a.pop(cx), s);
        AssertSame(a => a.pop(rsp), s);
        AssertSame(a => a.pushfq(), s);
        AssertSame(a => a.leave(), WithRbp(s, W(0x60)));
        var withPtr = s.Clone();
        withPtr.Rbx = W(0x90);
        AssertSame(a => a.push(__qword_ptr[rbx + 8]), withPtr);
        AssertSame(a => a.pop(__qword_ptr[rbx]), withPtr);
        AssertSame(a => a.pop(__qword_ptr[rsp + 8]), s);
        AssertSame(a => a.push(__qword_ptr[rsp]), s);
    }

    private static MachineState WithRbp(MachineState s, ulong rbp)
    {
        var t = s.Clone();
        t.Rbp = rbp;
        return t;
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void String_instructions_match_the_host(int seed, bool down)
    {
        var s = Input((ulong)seed);
        s.Rflags = down ? s.Rflags | FlagsMask.DF : s.Rflags & ~FlagsMask.DF;
        int si = down ? 0x170 : 0x80, di = down ? 0x1F0 : 0x100, dir = down ? -1 : 1;
        s.Rsi = W(si);
        s.Rdi = W(di);
        s.Rcx = 9;
        for (int i = 0; i < 4; i++) s.Memory[di + dir * i] = s.Memory[si + dir * i];   // equal prefix for REPE CMPS
        AssertSame(a => a.rep.movsb(), s);
        AssertSame(a => a.rep.movsw(), s);
        AssertSame(a => a.rep.stosd(), s);
        AssertSame(a => a.movsq(), s);
        AssertSame(a => a.lodsb(), s);
        AssertSame(a => a.scasw(), s);
        AssertSame(a => a.cmpsd(), s);
        AssertSame(a => a.repe.cmpsb(), s);
        AssertSame(a => a.repne.cmpsb(), s);
        AssertSame(a => a.repe.scasb(), s);
        AssertSame(a => a.repne.scasb(), s);
        var zero = s.Clone();
        zero.Rcx = 0;
        AssertSame(a => a.repe.cmpsq(), zero);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public void Exchange_instructions_match_the_host(int seed)
    {
        var s = Input((ulong)seed);
        s.Rsi = W(0x80);
        AssertSame(a => a.cmpxchg(ebx, ecx), s);
        var eq = s.Clone();
        eq.Rax = eq.Rbx;
        AssertSame(a => a.cmpxchg(ebx, ecx), eq);
        AssertSame(a => a.cmpxchg(bx, cx), eq);
        AssertSame(a => a.cmpxchg(bh, cl), s);
        AssertSame(a => a.cmpxchg(__dword_ptr[rsi], ecx), s);
        var memEq = s.Clone();
        memEq.Rax = memEq.ReadU32(0x80);
        AssertSame(a => a.cmpxchg(__dword_ptr[rsi], ecx), memEq);
        AssertSame(a => a.@lock.xadd(__qword_ptr[rsi], rdx), s);
        AssertSame(a => a.xadd(ecx, ecx), s);
        AssertSame(a => a.xadd(ah, bl), s);
        AssertSame(a => a.xchg(__word_ptr[rsi], dx), s);
        AssertSame(a => a.xchg(eax, ebx), s);
        AssertSame(a => a.xchg(ah, bh), s);
        AssertSame(a => a.cmpxchg8b(__qword_ptr[rsi]), s);
        var q = s.Clone();
        q.Rax = q.ReadU32(0x80);
        q.Rdx = q.ReadU32(0x84);
        AssertSame(a => a.cmpxchg8b(__qword_ptr[rsi]), q);
    }

    [Fact]
    public void Lea_and_mov_forms_match_the_host()
    {
        var s = Input(8);
        AssertSame(a => a.lea(eax, __dword_ptr[ecx + edx * 2 + 0x7FFF_0000]), s);
        AssertSame(a => a.lea(ax, __qword_ptr[rcx + rdx * 8 - 3]), s);
        AssertSame(a => a.lea(rax, __qword_ptr[ebx + esi]), s);
        AssertSame(a => a.mov(ah, dh), s);
        AssertSame(a => a.mov(bx, cx), s);
        AssertSame(a => a.mov(ebx, ecx), s);
    }
}
