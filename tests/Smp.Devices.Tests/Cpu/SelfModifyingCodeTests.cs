using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu;

/// <summary>
/// Stores into code are seen by the next instruction fetched from it (SDM Vol. 3A §8.1.3, §11.6): in every mode,
/// every time (not only the first), across page boundaries, inside the executing block, from translated code and
/// into translated code, from another CPU and from outside the CPUs; data beside code is written without
/// throwing decoded code away.
/// </summary>
public sealed class SelfModifyingCodeTests
{
    private const ulong Results = TestMachine.DataBase;

    [Fact]
    public void Real_mode_calls_see_each_patch_of_the_immediate_they_return()
    {
        // The reproducer: f: mov al,'5' / ret; patched to '6', '7', '8' between calls (QEMU prints 5678).
        using var m = TestMachine.RealMode();
        const ushort f = 0x7D00, results = 0x600;
        m.Load(f, a => { a.mov(al, (byte)'5'); a.ret(); });
        m.Load(0x7C00, a =>
        {
            a.call(f);
            a.mov(__byte_ptr[results], al);
            for (int i = 1; i <= 3; i++)
            {
                a.mov(__byte_ptr[f + 1], (byte)('5' + i));
                a.call(f);
                a.mov(__byte_ptr[results + i], al);
            }
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal("5678", Text(m, results, 4));
    }

    [Fact]
    public void A_protected_mode_loop_that_increments_its_own_immediate_sums_every_value()
    {
        using var m = TestMachine.Protected32();
        const ulong loop = TestMachine.CodeBase + 0x40;
        m.Load(TestMachine.CodeBase, a =>
        {
            a.mov(ecx, 100);
            a.xor(ebx, ebx);
            a.jmp(loop);
        });
        m.Load(loop, a =>
        {
            a.mov(eax, 1);                           // B8 imm32: the immediate is at loop + 1
            a.add(ebx, eax);
            a.inc(__dword_ptr[(uint)(loop + 1)]);    // the next pass adds one more
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(5050UL, m.Cpu.R[Reg.RBX]);      // 1 + 2 + ... + 100
        Assert.Equal(101UL, m.Memory.Read(loop + 1, 4));
    }

    [Fact]
    public void A_64_bit_loop_that_increments_its_own_64_bit_immediate_sums_every_value()
    {
        using var m = TestMachine.LongMode();
        const ulong loop = TestMachine.CodeBase + 0x40;
        m.Load(TestMachine.CodeBase, a =>
        {
            a.mov(ecx, 1000);
            a.xor(ebx, ebx);
            a.jmp(loop);
        });
        m.Load(loop, a =>
        {
            a.mov(rax, 0x1_0000_0001L);              // REX.W B8 imm64: the immediate is at loop + 2
            a.add(rbx, rax);
            a.inc(__qword_ptr[(long)(loop + 2)]);
            a.dec(ecx);
            a.jnz(loop);
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(1000UL * 0x1_0000_0001UL + 999UL * 1000 / 2, m.Cpu.R[Reg.RBX]);
    }

    [Fact]
    public void A_store_that_crosses_a_page_boundary_into_code_is_executed()
    {
        // g starts a page: B8 44 33 22 11 C3 (mov eax, 0x11223344; ret). An 8-byte store at g − 4 rewrites the
        // last 4 bytes of the page before (data) and the opcode and 3 immediate bytes of g.
        using var m = TestMachine.LongMode();
        const ulong g = TestMachine.CodeBase + 0x1000;
        m.Load(g, a => { a.mov(eax, 0x11223344); a.ret(); });
        m.Load(TestMachine.CodeBase, a =>
        {
            a.mov(rsi, (long)Results);
            a.call(g);
            a.mov(__dword_ptr[rsi], eax);
            a.mov(rdx, 0x776655B8_AABBCCDDL);
            a.mov(__qword_ptr[(long)(g - 4)], rdx);
            a.call(g);
            a.mov(__dword_ptr[rsi + 4], eax);
            a.mov(__dword_ptr[(long)(g + 1)], 0x01020304); // a plain store into the same code
            a.call(g);
            a.mov(__dword_ptr[rsi + 8], eax);
            a.mov(rdx, 0x998877B8_00000000L);
            a.mov(__qword_ptr[(long)(g - 4)], rdx);
            a.call(g);
            a.mov(__dword_ptr[rsi + 12], eax);
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal([0x11223344u, 0x11776655u, 0x01020304u, 0x01998877u], Dwords(m, Results, 4));
        Assert.Equal(0UL, m.Memory.Read(g - 4, 4));     // the data half of the last store landed too
    }

    [Fact]
    public void A_store_into_the_next_instruction_of_the_executing_block_is_executed_on_every_pass()
    {
        using var m = TestMachine.LongMode();
        m.Load(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            var next = a.CreateLabel();
            a.mov(rsi, (long)(Results + 0x5000));     // a page whose write-TLB slot differs from the code's
            a.xor(ecx, ecx);
            a.Label(ref top);
            a.lea(edx, __[rcx + 0x42]);
            a.shl(edx, 8);
            a.or(edx, 0xB0);
            a.mov(__word_ptr[next], dx);        // rewrite the next instruction into mov al, 0x42 + pass
            a.Label(ref next);
            a.mov(al, 0x11);
            a.mov(__byte_ptr[rsi + rcx], al);
            a.inc(ecx);
            a.cmp(ecx, 3);
            a.jne(top);
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(0x444342UL, m.Memory.Read(Results + 0x5000, 4) & 0xFF_FFFF);
    }

    [Fact]
    public void A_compiled_block_that_stores_into_its_own_next_instruction_runs_the_new_one()
    {
        // 299 passes store into data and compile the block; the last pass stores into the block's next instruction.
        using var m = TestMachine.LongMode();
        const ulong scratch = Results + 0x5000;
        m.Load(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            var next = a.CreateLabel();
            a.mov(ecx, 300);
            a.mov(rsi, (long)(Results + 0x6000));
            a.Label(ref top);
            a.lea(rdx, __[next]);
            a.mov(rdi, (long)scratch);
            a.cmp(ecx, 1);
            a.cmove(rdi, rdx);
            a.mov(__word_ptr[rdi], 0x42B0);     // mov al, 0x42 (into scratch, or over `next` on the last pass)
            a.Label(ref next);
            a.mov(al, 0x11);
            a.mov(__byte_ptr[rsi + rcx], al);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        m.Run();

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.True(m.Cpu.BlocksCompiled >= 1, "the loop was not compiled");
        Assert.Equal(0x42UL, m.Memory.Read(Results + 0x6000 + 1, 1));
        Assert.Equal(0x11UL, m.Memory.Read(Results + 0x6000 + 2, 1));
        Assert.Equal(0x11UL, m.Memory.Read(Results + 0x6000 + 300, 1));
    }

    [Fact]
    public void A_compiled_hot_loop_that_patches_a_function_it_calls_sees_every_patch()
    {
        using var m = TestMachine.LongMode();
        const ulong f = TestMachine.CodeBase + 0x800;    // same page as the loop, another 64-byte line
        m.Load(f, a => { a.mov(eax, 0); a.ret(); });
        m.Load(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            a.mov(ecx, 1000);
            a.xor(ebx, ebx);
            a.Label(ref top);
            a.call(f);
            a.add(ebx, eax);
            a.inc(__dword_ptr[(long)(f + 1)]);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
        });
        m.Run(10_000_000);

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.Equal(999UL * 1000 / 2, m.Cpu.R[Reg.RBX]);
        Assert.True(m.Cpu.BlocksCompiled >= 1, "the loop body was not compiled");
    }

    [Fact]
    public void A_compiled_function_that_is_patched_runs_its_new_code()
    {
        using var m = TestMachine.LongMode();
        const ulong f = TestMachine.CodeBase + 0x2000;
        m.Load(f, a => { a.mov(eax, 5); a.add(eax, 1); a.ret(); });
        m.Load(TestMachine.CodeBase, a =>
        {
            var warm = a.CreateLabel();
            a.mov(rsi, (long)Results);
            a.mov(ecx, 1000);
            a.Label(ref warm);
            a.call(f);                           // f becomes hot and compiled
            a.dec(ecx);
            a.jnz(warm);
            a.mov(__dword_ptr[rsi], eax);
            a.mov(__dword_ptr[(long)(f + 1)], 70);
            a.call(f);
            a.mov(__dword_ptr[rsi + 4], eax);
            a.mov(__dword_ptr[(long)(f + 1)], 800);
            a.call(f);
            a.mov(__dword_ptr[rsi + 8], eax);
            a.hlt();
        });
        m.Run(10_000_000);

        Assert.Equal(RunState.Halted, m.Cpu.State);
        Assert.True(m.Cpu.BlocksCompiled >= 2, "f and the warm-up loop were not compiled");
        Assert.Equal([6u, 71u, 801u], Dwords(m, Results, 3));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Data_written_beside_code_does_not_throw_the_code_away(bool sameLine)
    {
        // A counter right after the loop's last instruction (in its 64-byte line) or elsewhere in its page.
        using var m = TestMachine.LongMode();
        m.Load(TestMachine.CodeBase, a =>
        {
            var top = a.CreateLabel();
            var data = a.CreateLabel();
            a.mov(ecx, 10_000);
            a.Label(ref top);
            if (sameLine) a.inc(__dword_ptr[data]);
            else a.inc(__dword_ptr[(long)TestMachine.CodeBase + 0x400]);
            a.dec(ecx);
            a.jnz(top);
            a.hlt();
            a.Label(ref data);
            a.dd(0);
        });
        m.Run();
        ulong counter = sameLine ? m.Cpu.Rip : TestMachine.CodeBase + 0x400;   // after HLT, RIP is the next byte: the counter

        Assert.Equal(RunState.Halted, m.Cpu.State);
        if (sameLine) Assert.InRange(counter - TestMachine.CodeBase, 0UL, 63UL);
        Assert.Equal(10_000UL, m.Memory.Read(counter, 4));
        Assert.InRange(m.Cpu.BlocksDecoded, 1, 4);       // decoded once, not once per store
        Assert.True(m.Cpu.BlocksCompiled >= 1);
    }

    [Fact]
    public void Code_another_cpu_patches_is_executed_new_every_time()
    {
        // CPU 1 runs f; CPU 0 patches f's immediate in between, three times, through its own (write-TLB) path.
        using var m = TestMachine.LongMode();
        var other = new CpuCore(m.Memory, apicId: 1, isBsp: false);
        const ulong f = TestMachine.CodeBase + 0x3000, caller = TestMachine.CodeBase + 0x2000;
        m.Load(f, a => { a.mov(eax, 5); a.ret(); });
        m.Load(caller, a =>
        {
            var top = a.CreateLabel();
            a.mov(rsi, (long)Results);
            a.Label(ref top);
            a.call(f);
            a.mov(__dword_ptr[rsi], eax);
            a.add(rsi, 4);
            a.hlt();
            a.jmp(top);
        });
        m.Load(TestMachine.CodeBase, a =>
        {
            for (int value = 6; value <= 8; value++)
            {
                a.mov(__dword_ptr[(long)(f + 1)], value);
                a.hlt();
            }
        });
        CopyLongMode(m.Cpu, other, caller);

        other.Run(1000);
        for (int round = 0; round < 3; round++)
        {
            m.Cpu.State = RunState.Running;
            m.Run(1000);
            other.State = RunState.Running;
            other.Run(1000);
        }

        Assert.Equal([5u, 6u, 7u, 8u], Dwords(m, Results, 4));
    }

    [Fact]
    public void Writes_from_outside_the_cpus_and_explicit_invalidation_reach_decoded_code()
    {
        using var m = TestMachine.LongMode();
        const ulong f = TestMachine.CodeBase + 0x1000;
        m.Load(f, a => { a.mov(eax, 1); a.ret(); });
        m.Load(TestMachine.CodeBase, a =>
        {
            a.mov(rsi, (long)Results);
            for (int i = 0; i < 4; i++)
            {
                a.call(f);
                a.mov(__dword_ptr[rsi + i * 4], eax);
                a.hlt();
            }
        });
        m.Run();
        m.Memory.Write(f + 1, 4, 2);                               // a device's store
        Resume(m);
        m.Memory.Load(f + 1, BitConverter.GetBytes(3));           // a loader's or DMA copy
        Resume(m);
        unsafe
        {
            *(uint*)(m.Memory.RamBase + f + 1) = 4;               // behind memory's back, then announced
        }
        m.Memory.InvalidateCode(f + 1, 4);
        Resume(m);

        Assert.Equal([1u, 2u, 3u, 4u], Dwords(m, Results, 4));
    }

    private static void Resume(TestMachine m)
    {
        m.Cpu.State = RunState.Running;
        m.Run();
    }

    private static void CopyLongMode(CpuCore from, CpuCore to, ulong rip)
    {
        var state = from.SaveState();
        to.RestoreState(state with { ApicId = to.ApicId, Rip = rip, Gprs = [.. state.Gprs.Select((v, i) => i == Reg.RSP ? v - 0x8000 : v)] });
    }

    private static string Text(TestMachine m, ulong address, int length)
    {
        var bytes = new byte[length];
        m.Memory.Copy(address, bytes);
        return System.Text.Encoding.ASCII.GetString(bytes);
    }

    private static uint[] Dwords(TestMachine m, ulong address, int count) =>
        [.. Enumerable.Range(0, count).Select(i => (uint)m.Memory.Read(address + (ulong)i * 4, 4))];
}
