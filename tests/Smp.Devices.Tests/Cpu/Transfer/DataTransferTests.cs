using Iced.Intel;
using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Transfer;

public class DataTransferTests
{
    private const ulong Data = TestMachine.DataBase;

    [Fact]
    public void Mov_with_high_byte_registers_and_memory()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            a.mov(rdx, (long)Data);
            a.mov(ah, 0x12);
            a.mov(__byte_ptr[rdx], ah);
            a.mov(bh, __byte_ptr[rdx]);
            a.mov(ch, bh);
            a.mov(dh, 0x34);
            a.hlt();
        });
        m.Run();
        Assert.Equal(0x1200UL, c.R[Reg.RAX]);
        Assert.Equal(0x1200UL, c.R[Reg.RBX]);
        Assert.Equal(0x1200UL, c.R[Reg.RCX]);
        Assert.Equal(Data | 0x3400, c.R[Reg.RDX]);
        Assert.Equal(0x12UL, m.Memory.Read(Data, 1));
    }

    [Fact]
    public void Mov_widths_merge_or_zero_extend_and_moffs_forms_work()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 8, 0x1122_3344_5566_7788);
        c.R[Reg.RBX] = ulong.MaxValue;
        c.R[Reg.RCX] = ulong.MaxValue;
        m.Load(a =>
        {
            a.mov(bx, 0x1234);                   // merge
            a.mov(ecx, 0x1234);                  // zero-extend
            a.mov(rax, __qword_ptr[Data]);       // moffs? assembler picks a form; both must work
            a.mov(__dword_ptr[Data + 8], eax);
            a.mov(__qword_ptr[Data + 16], -5);   // imm32 sign-extended
            a.hlt();
        });
        m.Run();
        Assert.Equal(0xFFFF_FFFF_FFFF_1234UL, c.R[Reg.RBX]);
        Assert.Equal(0x1234UL, c.R[Reg.RCX]);
        Assert.Equal(0x1122_3344_5566_7788UL, c.R[Reg.RAX]);
        Assert.Equal(0x5566_7788UL, m.Memory.Read(Data + 8, 8));
        Assert.Equal(unchecked((ulong)-5L), m.Memory.Read(Data + 16, 8));
    }

    [Fact]
    public void Mov_accumulator_moffs64_encoding_reads_and_writes_absolute_addresses()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 4, 0xCAFE_F00D);
        // A1 moffs64: mov eax, [Data]; A3 moffs64: mov [Data+4], eax; A0: mov al, [Data+1]
        var code = new List<byte> { 0xA1 };
        code.AddRange(BitConverter.GetBytes(Data));
        code.Add(0xA3); code.AddRange(BitConverter.GetBytes(Data + 4));
        code.Add(0xA0); code.AddRange(BitConverter.GetBytes(Data + 1));
        code.Add(0xF4);
        m.Memory.Load(TestMachine.CodeBase, code.ToArray());
        m.Run();
        Assert.Equal(0xCAFE_F0F0UL, c.R[Reg.RAX]);
        Assert.Equal(0xCAFE_F00DUL, m.Memory.Read(Data + 4, 4));
    }

    [Fact]
    public void Cmpxchg_equal_stores_source_and_sets_zf()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 8, 5);
        m.Load(a => { a.mov(rdx, (long)Data); a.mov(rax, 5L); a.mov(rcx, 9L); a.@lock.cmpxchg(__qword_ptr[rdx], rcx); a.hlt(); });
        m.Run();
        Assert.Equal(9UL, m.Memory.Read(Data, 8));
        Assert.Equal(5UL, c.R[Reg.RAX]);
        Assert.True(c.GetZF());
    }

    [Fact]
    public void Cmpxchg_mismatch_loads_the_accumulator_and_clears_zf()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 4, 9);
        c.R[Reg.RAX] = 0xFFFF_FFFF_0000_0007UL;
        m.Load(a => { a.mov(rdx, (long)Data); a.mov(ecx, 1); a.cmpxchg(__dword_ptr[rdx], ecx); a.hlt(); });
        m.Run();
        Assert.Equal(9UL, m.Memory.Read(Data, 4));
        Assert.Equal(9UL, c.R[Reg.RAX]);      // 32-bit write zero-extends
        Assert.False(c.GetZF());
        Assert.True(c.GetCF());               // 7 - 9 borrows
    }

    [Fact]
    public void Cmpxchg_register_forms_and_8_bit_high_register()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            a.mov(eax, 0x0300);
            a.mov(ebx, 0x0300);
            a.mov(ecx, 0x44);
            a.cmpxchg(bh, cl);     // AL (0) != BH (3): AL ← 3
            a.hlt();
        });
        m.Run();
        Assert.Equal(0x0303UL, c.R[Reg.RAX]);
        Assert.Equal(0x0300UL, c.R[Reg.RBX]);
        Assert.False(c.GetZF());
    }

    [Fact]
    public void Xadd_exchanges_and_adds()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 8, 10);
        m.Load(a => { a.mov(rdx, (long)Data); a.mov(rax, 3L); a.@lock.xadd(__qword_ptr[rdx], rax); a.mov(rbx, -1L); a.mov(rcx, 1L); a.xadd(rbx, rcx); a.hlt(); });
        m.Run();
        Assert.Equal(13UL, m.Memory.Read(Data, 8));
        Assert.Equal(10UL, c.R[Reg.RAX]);
        Assert.Equal(0UL, c.R[Reg.RBX]);
        Assert.Equal(ulong.MaxValue, c.R[Reg.RCX]);
        Assert.True(c.GetZF());
        Assert.True(c.GetCF());
    }

    [Fact]
    public void Xchg_memory_and_accumulator_forms()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 2, 0xAAAA);
        c.R[Reg.RBX] = 0x1111_2222;
        m.Load(a => { a.mov(rdx, (long)Data); a.mov(ecx, 0xBBBB); a.xchg(__word_ptr[rdx], cx); a.mov(eax, 7); a.xchg(ebx, eax); a.hlt(); });
        m.Run();
        Assert.Equal(0xBBBBUL, m.Memory.Read(Data, 2));
        Assert.Equal(0xAAAAUL, c.R[Reg.RCX]);
        Assert.Equal(0x1111_2222UL, c.R[Reg.RAX]);
        Assert.Equal(7UL, c.R[Reg.RBX]);
    }

    [Fact]
    public void Cmpxchg8b_and_16b_both_outcomes_and_16b_alignment()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 8, 0x0000_0002_0000_0001UL);
        c.R[Reg.RAX] = 1; c.R[Reg.RDX] = 2; c.R[Reg.RBX] = 0x33; c.R[Reg.RCX] = 0x44; c.R[Reg.RSI] = Data;
        m.Load(a => { a.cmpxchg8b(__qword_ptr[rsi]); a.cmpxchg8b(__qword_ptr[rsi]); a.cmpxchg16b(__xmmword_ptr[rsi + 16]); a.cmpxchg16b(__xmmword_ptr[rsi + 8]); });
        Assert.Null(Stepper.Step(m));
        Assert.True(c.GetZF());
        Assert.Equal(0x0000_0044_0000_0033UL, m.Memory.Read(Data, 8));
        Assert.Null(Stepper.Step(m));
        Assert.False(c.GetZF());
        Assert.Equal(0x33UL, c.R[Reg.RAX]);
        Assert.Equal(0x44UL, c.R[Reg.RDX]);

        m.Memory.Write(Data + 16, 8, 0x33);
        m.Memory.Write(Data + 24, 8, 0x44);
        c.R[Reg.RBX] = 0x55; c.R[Reg.RCX] = 0x66;
        Assert.Null(Stepper.Step(m));
        Assert.True(c.GetZF());
        Assert.Equal(0x55UL, m.Memory.Read(Data + 16, 8));
        Assert.Equal(0x66UL, m.Memory.Read(Data + 24, 8));
        Assert.Equal(Vector.GP, Stepper.Step(m)?.Vector);    // [rsi + 8] is not 16-byte aligned
    }

    [Fact]
    public void Lea_truncates_to_address_size_then_operand_size()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Load(a =>
        {
            a.mov(rcx, 0xFFFF_FFFFL);
            a.mov(rdx, 2L);
            a.lea(eax, __dword_ptr[ecx + edx]);  // 67: 32-bit address wraps to 1
            a.lea(rbx, __qword_ptr[ecx + edx]);  // 64-bit destination, zero-extended 32-bit address
            a.mov(rsi, unchecked((long)0xAAAA_BBBB_CCCC_DDDDUL));
            a.lea(si, __qword_ptr[rcx + rdx]);   // 16-bit destination keeps bits 16-63
            a.lea(rdi, __qword_ptr[rcx + rdx * 4 + 0x10]);
            a.hlt();
        });
        m.Run();
        Assert.Equal(1UL, c.R[Reg.RAX]);
        Assert.Equal(1UL, c.R[Reg.RBX]);
        Assert.Equal(0xAAAA_BBBB_CCCC_0001UL, c.R[Reg.RSI]);
        Assert.Equal(0x1_0000_0017UL, c.R[Reg.RDI]);
    }

    [Fact]
    public void Lea_with_16_bit_addressing_in_32_bit_code()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        c.R[Reg.RBX] = 0x1234_FFFF;
        c.R[Reg.RSI] = 2;
        m.Memory.Load(TestMachine.CodeBase, [0x67, 0x8D, 0x00, 0xF4]);   // lea eax, [bx+si]; hlt
        m.Run();
        Assert.Equal(1UL, c.R[Reg.RAX]);
    }

    [Fact]
    public void Xlat_uses_al_as_an_unsigned_index()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data + 0xF0, 1, 0x99);
        c.R[Reg.RAX] = 0xFFFF_FFFF_FFFF_FFF0UL;
        c.R[Reg.RBX] = Data;
        m.Load(a => { a.xlatb(); a.hlt(); });
        m.Run();
        Assert.Equal(0xFFFF_FFFF_FFFF_FF99UL, c.R[Reg.RAX]);
    }

    [Fact]
    public void Nops_prefetch_and_fences_do_nothing_even_with_unmapped_addresses()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.R[Reg.RAX] = 0x4000_0000_0000;   // not mapped
        m.Load(a =>
        {
            a.nop();
            a.nop(__dword_ptr[rax + 0x10]);
            a.prefetcht0(__byte_ptr[rax]);
            a.prefetchnta(__byte_ptr[rax]);
            a.pause();
            a.lfence(); a.mfence(); a.sfence();
            a.hlt();
        });
        m.Run();
        Assert.Equal(RunState.Halted, c.State);
        Assert.DoesNotContain(Smp.Devices.Cpu.Decoding.HandlerTable.UnimplementedCounts, x => x.Code is Code.Nop_rm32 or Code.Prefetcht0_m8 or Code.Lfence);
    }

    [Fact]
    public void Clflush_translates_its_address_and_faults_on_an_unmapped_page()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        c.R[Reg.RAX] = Data;
        c.R[Reg.RBX] = 0x4000_0000_0000;
        m.Load(a => { a.clflush(__byte_ptr[rax]); a.clflush(__byte_ptr[rbx]); });
        Assert.Null(Stepper.Step(m));
        var f = Stepper.Step(m);
        Assert.Equal(Vector.PF, f?.Vector);
        Assert.Equal(0x4000_0000_0000UL, c.Cr2);
    }

    [Fact]
    public void Ud2_and_ud1_raise_invalid_opcode()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => a.ud2());
        Assert.Equal(Vector.UD, Stepper.Step(m)?.Vector);
        m.Memory.Load(TestMachine.CodeBase, [0x0F, 0xB9, 0xC0]);
        Assert.Equal(Vector.UD, Stepper.Step(m)?.Vector);
    }

    [Fact]
    public void Bound_raises_br_outside_the_range()
    {
        using var m = TestMachine.Protected32();
        var c = m.Cpu;
        m.Memory.Write(Data, 4, unchecked((uint)-5));
        m.Memory.Write(Data + 4, 4, 10);
        c.R[Reg.RBX] = Data;
        c.R[Reg.RAX] = unchecked((uint)-5);
        m.Memory.Load(TestMachine.CodeBase, [0x62, 0x03, 0x62, 0x03]);   // bound eax, [ebx] twice
        Assert.Null(Stepper.Step(m));
        c.R[Reg.RAX] = 11;
        Assert.Equal(Vector.BR, Stepper.Step(m)?.Vector);
    }

    [Fact]
    public void Movbe_swaps_bytes()
    {
        using var m = TestMachine.LongMode();
        var c = m.Cpu;
        m.Memory.Write(Data, 4, 0x1122_3344);
        c.R[Reg.RSI] = Data;
        m.Load(a => { a.movbe(eax, __dword_ptr[rsi]); a.movbe(__word_ptr[rsi + 8], ax); a.hlt(); });
        m.Run();
        Assert.Equal(0x4433_2211UL, c.R[Reg.RAX]);
        Assert.Equal(0x1122UL, m.Memory.Read(Data + 8, 2));
    }
}
