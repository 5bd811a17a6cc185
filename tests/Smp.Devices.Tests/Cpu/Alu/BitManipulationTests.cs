using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Tests.Cpu.SystemControl;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.Alu;

/// <summary>BMI1, BMI2, ADX, CRC32 and RDRAND/RDSEED against the SDM's definitions (values and the flags it defines).</summary>
public class BitManipulationTests
{
    private const ulong DefinedByBmi = Rflags.CF | Rflags.ZF | Rflags.SF | Rflags.OF;

    // Runs the code in 64-bit mode from RFLAGS = 0x202 and returns the machine.
    private static TestMachine Run(Action<Assembler> code, ulong rflags = 0x202)
    {
        var m = TestMachine.LongMode();
        m.Load(a => { code(a); a.hlt(); });
        m.Cpu.SetRflags(rflags);
        SystemTestKit.RunToHalt(m);
        return m;
    }

    [Fact]
    public void Andn_and_bextr_compute_and_set_zf_sf_clear_cf_of()
    {
        using var m = Run(a =>
        {
            a.mov(rbx, 0xF0F0_0000_0000_00F0UL); a.mov(rcx, 0xFFFF_0000_0000_0FFFUL);
            a.andn(rax, rbx, rcx);                       // ~rbx & rcx
            a.pushfq(); a.pop(r8);
            a.mov(edx, 0x0000_1004); a.mov(esi, 0xABCD_1234);
            a.bextr(edi, esi, edx);                      // 16 bits from bit 4
            a.pushfq(); a.pop(r9);
            a.mov(edx, 0x0000_4040);
            a.bextr(r10d, esi, edx);                     // start past the operand: 0, ZF
            a.pushfq(); a.pop(r11);
        }, rflags: 0x202 | Rflags.CF | Rflags.OF);
        var c = m.Cpu;
        Assert.Equal(0x0F0F_0000_0000_0F0FUL, c.R[Reg.RAX]);
        Assert.Equal(0UL, c.R[8] & DefinedByBmi);
        Assert.Equal(0xBCD1_23UL & 0xFFFF, c.R[Reg.RDI]);
        Assert.Equal(0UL, c.R[9] & (Rflags.ZF | Rflags.CF | Rflags.OF));
        Assert.Equal(0UL, c.R[10]);
        Assert.Equal(Rflags.ZF, c.R[11] & (Rflags.ZF | Rflags.CF | Rflags.OF));
    }

    [Fact]
    public void Blsi_blsmsk_blsr_isolate_mask_and_reset_the_lowest_set_bit()
    {
        using var m = Run(a =>
        {
            a.mov(ecx, 0b1011_0100);
            a.blsi(eax, ecx); a.pushfq(); a.pop(r8);
            a.blsmsk(ebx, ecx); a.pushfq(); a.pop(r9);
            a.blsr(edx, ecx); a.pushfq(); a.pop(r10);
            a.xor(ecx, ecx);
            a.blsi(esi, ecx); a.pushfq(); a.pop(r11);
            a.blsmsk(edi, ecx); a.pushfq(); a.pop(r12);
        });
        var c = m.Cpu;
        Assert.Equal(0b100UL, c.R[Reg.RAX]);
        Assert.Equal(Rflags.CF, c.R[8] & DefinedByBmi);                 // source non-zero
        Assert.Equal(0b111UL, c.R[Reg.RBX]);
        Assert.Equal(0UL, c.R[9] & DefinedByBmi);
        Assert.Equal(0b1011_0000UL, c.R[Reg.RDX]);
        Assert.Equal(0UL, c.R[10] & DefinedByBmi);
        Assert.Equal(0UL, c.R[Reg.RSI]);
        Assert.Equal(Rflags.ZF, c.R[11] & DefinedByBmi);                 // BLSI of 0: ZF, CF clear
        Assert.Equal(0xFFFF_FFFFUL, c.R[Reg.RDI]);
        Assert.Equal(Rflags.CF | Rflags.SF, c.R[12] & DefinedByBmi);     // BLSMSK of 0: all ones, CF
    }

    [Fact]
    public void Bzhi_clears_from_the_index_and_sets_cf_when_the_index_is_out_of_range()
    {
        using var m = Run(a =>
        {
            a.mov(rcx, -1L);
            a.mov(edx, 12); a.bzhi(rax, rcx, rdx); a.pushfq(); a.pop(r8);
            a.mov(edx, 64); a.bzhi(rbx, rcx, rdx); a.pushfq(); a.pop(r9);
        });
        var c = m.Cpu;
        Assert.Equal(0xFFFUL, c.R[Reg.RAX]);
        Assert.Equal(0UL, c.R[8] & DefinedByBmi);
        Assert.Equal(ulong.MaxValue, c.R[Reg.RBX]);
        Assert.Equal(Rflags.CF | Rflags.SF, c.R[9] & DefinedByBmi);
    }

    [Fact]
    public void Mulx_pdep_pext_rorx_and_the_shifts_leave_the_flags_alone()
    {
        using var m = Run(a =>
        {
            a.mov(rdx, 0xFFFF_FFFF_FFFF_FFFFUL); a.mov(rcx, 3);
            a.mulx(rbx, rax, rcx);                         // 3 × (2^64 − 1)
            a.mov(edx, 7); a.mov(ecx, 0x6);
            a.mulx(esi, esi, ecx);                         // same destination: the high half (0)
            a.mov(r8d, 0b101); a.mov(r9d, 0b1111_0000);
            a.pdep(r10d, r8d, r9d);
            a.mov(r8d, 0b1010_0000);
            a.pext(r11d, r8d, r9d);
            a.mov(r12, 0x1234_5678_9ABC_DEF0L);
            a.rorx(r13, r12, 8);
            a.mov(ecx, 65);
            a.shlx(r14, r12, rcx);                         // count modulo 64
            a.mov(edi, 0x8000_0000); a.mov(ecx, 4);
            a.sarx(edi, edi, ecx);
            a.pushfq(); a.pop(r15);
        }, rflags: 0x202 | Rflags.CF | Rflags.ZF);
        var c = m.Cpu;
        Assert.Equal(2UL, c.R[Reg.RBX]);
        Assert.Equal(0xFFFF_FFFF_FFFF_FFFDUL, c.R[Reg.RAX]);
        Assert.Equal(0UL, c.R[Reg.RSI]);
        Assert.Equal(0b0101_0000UL, c.R[10]);
        Assert.Equal(0b1010UL, c.R[11]);
        Assert.Equal(0xF012_3456_789A_BCDEUL, c.R[13]);
        Assert.Equal(0x2468_ACF1_3579_BDE0UL, c.R[14]);
        Assert.Equal(0xF800_0000UL, c.R[Reg.RDI]);
        Assert.Equal(Rflags.CF | Rflags.ZF, c.R[15] & (Rflags.CF | Rflags.ZF));
    }

    [Fact]
    public void Vex_bit_manipulation_is_ud_in_real_mode()
    {
        using var m = TestMachine.RealMode();
        m.Load(0x7C00, a => a.db(0xC4, 0xE2, 0x70, 0xF2, 0xC2, 0xF4));   // andn eax, ecx, edx
        Assert.Equal(Vector.UD, SystemTestKit.RunToFault(m).Vector);
    }

    [Fact]
    public void Adcx_and_adox_carry_through_cf_and_of_only()
    {
        using var m = Run(a =>
        {
            a.mov(rax, -1L); a.mov(rbx, 1);
            a.stc();
            a.adcx(rax, rbx);                              // 2^64 − 1 + 1 + 1: carry out, result 1
            a.pushfq(); a.pop(r8);
            a.mov(ecx, 0xFFFF_FFFF); a.mov(edx, 0);
            a.adox(ecx, edx);                              // OF was 0: no carry in, none out
            a.pushfq(); a.pop(r9);
        });
        var c = m.Cpu;
        Assert.Equal(1UL, c.R[Reg.RAX]);
        Assert.Equal(Rflags.CF, c.R[8] & (Rflags.CF | Rflags.OF | Rflags.ZF));
        Assert.Equal(0xFFFF_FFFFUL, c.R[Reg.RCX]);
        Assert.Equal(Rflags.CF, c.R[9] & (Rflags.CF | Rflags.OF));     // CF untouched by ADOX
    }

    [Fact]
    public void Crc32_accumulates_crc32c_when_cpuid_reports_sse42_and_is_ud_otherwise()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(eax, 0xFFFF_FFFF); a.mov(ecx, 0x3433_3231);   // "1234"
            a.crc32(eax, ecx);
            a.hlt();
        });
        m.Cpu.FirstFault = null;
        m.Run(100);
        if (Cpuid.HasCrc32)
            Assert.Equal(0x09C5_0B11UL, m.Cpu.R[Reg.RAX]);   // CRC-32C of "1234" from all ones, before the final inversion
        else
            Assert.Equal(Vector.UD, m.Cpu.FirstFault!.Value.Vector);
    }

    [Fact]
    public void Rdrand_and_rdseed_return_valid_values_deterministically_per_seed_and_cpu()
    {
        static (ulong A, ulong B, ulong Flags) Draw(ulong seed)
        {
            using var m = TestMachine.LongMode();
            m.Cpu.RandomSeed = seed;
            m.Load(a => { a.rdrand(rax); a.rdseed(rbx); a.pushfq(); a.pop(rcx); a.hlt(); });
            m.Cpu.SetRflags(0x202 | Rflags.ZF | Rflags.OF);
            SystemTestKit.RunToHalt(m);
            return (m.Cpu.R[Reg.RAX], m.Cpu.R[Reg.RBX], m.Cpu.R[Reg.RCX]);
        }
        var first = Draw(42);
        Assert.Equal(first, Draw(42));
        Assert.NotEqual(first.A, first.B);
        Assert.NotEqual(first.A, Draw(43).A);
        Assert.Equal(Rflags.CF, first.Flags & Rflags.Arithmetic);     // valid; OF SF ZF AF PF clear

        using var mem = new Smp.Devices.Memory.PhysicalMemory(1 << 20);
        Assert.NotEqual(new CpuCore(mem, apicId: 1).NextRandom(), new CpuCore(mem, apicId: 2).NextRandom());
    }
}
