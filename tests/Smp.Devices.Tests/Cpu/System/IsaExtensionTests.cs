using Iced.Intel;
using Smp.Devices.Cpu;
using Smp.Devices.Cpu.Decoding;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Devices.Tests.Cpu.SystemControl;

/// <summary>
/// General-purpose and system instructions of the modelled CPU beyond the base set: the hint-NOP space (ENDBR,
/// RDSSP, MPX forms), LMSW in every operand size, WBNOINVD, UMIP, FSGSBASE, RDPID, RDPMC, STAC/CLAC, CLWB,
/// DEBUGCTL.BTF, and LTR's canonical-base check.
/// </summary>
public class IsaExtensionTests
{
    [Theory]
    [InlineData(new byte[] { 0xF3, 0x0F, 0x1E, 0xFA })]          // ENDBR64
    [InlineData(new byte[] { 0xF3, 0x0F, 0x1E, 0xFB })]          // ENDBR32
    [InlineData(new byte[] { 0xF3, 0x48, 0x0F, 0x1E, 0xC8 })]    // RDSSPQ rax: leaves RAX alone with CET off
    [InlineData(new byte[] { 0xF3, 0x0F, 0x1B, 0x00 })]          // BNDMK bnd0, [rax]: no MPX, no memory access
    [InlineData(new byte[] { 0x0F, 0x1C, 0x00 })]                // CLDEMOTE [rax]
    [InlineData(new byte[] { 0xF3, 0x0F, 0x09 })]                // WBNOINVD = WBINVD here
    public void Hint_space_and_prefixed_encodings_execute_as_the_cpu_without_those_features_does(byte[] bytes)
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { a.mov(rax, 0x7FFF_FFFF_0000L); a.db(bytes); a.hlt(); });   // RAX points nowhere
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x7FFF_FFFF_0000UL, m.Cpu.R[Reg.RAX]);
    }

    [Fact]
    public void Every_stock_kvm_unit_tests_prologue_runs_in_16_bit_code_too()
    {
        using var m = TestMachine.RealMode();
        m.Load(0x7C00, a => { a.db(0xF3, 0x0F, 0x1E, 0xFA); a.mov(ax, 0x1234); a.hlt(); });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(0x1234UL, m.Cpu.R[Reg.RAX]);
    }

    [Fact]
    public void Lmsw_with_a_32_or_64_bit_register_loads_the_low_four_bits_and_cannot_clear_pe()
    {
        Assert.True(HandlerTable.IsImplemented(Code.Lmsw_r32m16));
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(eax, 0xFFFF_000A);                 // MP and TS; PE = 0 cannot clear PE
            a.db(0x0F, 0x01, 0xF0);                  // lmsw ax
            a.db(0x48, 0x0F, 0x01, 0xF0);            // REX.W lmsw (Lmsw_r64m16)
            a.hlt();
        });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(CpuCore.Cr0Pe | CpuCore.Cr0Mp | CpuCore.Cr0Ts, m.Cpu.Cr0 & 0xF);
    }

    [Theory]
    [InlineData(0)]   // SGDT
    [InlineData(1)]   // SIDT
    [InlineData(2)]   // SLDT
    [InlineData(3)]   // STR
    [InlineData(4)]   // SMSW
    public void Umip_makes_descriptor_table_and_msw_stores_gp_at_cpl_3_only(int which)
    {
        void Body(Assembler a)
        {
            switch (which)
            {
                case 0: a.sgdt(__[TestMachine.DataBase]); break;
                case 1: a.sidt(__[TestMachine.DataBase]); break;
                case 2: a.sldt(ax); break;
                case 3: a.str(ax); break;
                default: a.smsw(ax); break;
            }
            a.hlt();
        }

        using var kernel = TestMachine.LongMode();
        Assert.True(kernel.Cpu.TryWriteCr4(kernel.Cpu.Cr4 | CpuCore.Cr4Umip));
        kernel.Load(Body);
        SystemTestKit.RunToHalt(kernel);                                // CPL 0: allowed

        using var user = TestMachine.LongMode();
        user.Load(Body);
        SystemTestKit.EnterUserMode(user.Cpu);
        user.Cpu.FirstFault = null;
        user.Run(1);
        Assert.Null(user.Cpu.FirstFault);                               // CPL 3 without UMIP: allowed

        using var guarded = TestMachine.LongMode();
        Assert.True(guarded.Cpu.TryWriteCr4(guarded.Cpu.Cr4 | CpuCore.Cr4Umip));
        guarded.Load(Body);
        SystemTestKit.EnterUserMode(guarded.Cpu);
        Assert.Equal((Vector.GP, 0u), SystemTestKit.RunToFault(guarded));
    }

    [Fact]
    public void Fsgsbase_reads_and_writes_the_bases_once_cr4_enables_it()
    {
        using var m = TestMachine.LongMode();
        m.Load(a =>
        {
            a.mov(rax, 0x1234_5678_9ABCL);
            a.wrgsbase(rax);
            a.rdgsbase(rbx);
            a.mov(ecx, 0xDEAD_BEEF);
            a.wrfsbase(ecx);                        // 32-bit form: zero-extended
            a.rdfsbase(rdx);
            a.rdfsbase(esi);
            a.hlt();
        });
        Assert.Equal(Vector.UD, SystemTestKit.RunToFault(m).Vector);      // CR4.FSGSBASE = 0

        using var on = TestMachine.LongMode();
        Assert.True(on.Cpu.TryWriteCr4(on.Cpu.Cr4 | CpuCore.Cr4Fsgsbase));
        on.Load(a =>
        {
            a.mov(rax, 0x1234_5678_9ABCL);
            a.wrgsbase(rax);
            a.rdgsbase(rbx);
            a.mov(ecx, 0xDEAD_BEEF);
            a.wrfsbase(ecx);
            a.rdfsbase(rdx);
            a.mov(rax, unchecked((long)0x8000_0000_0000_0000UL));
            a.wrfsbase(rax);                        // non-canonical: #GP(0)
            a.hlt();
        });
        var fault = SystemTestKit.RunToFault(on);
        Assert.Equal((Vector.GP, 0u), fault);
        Assert.Equal(0x1234_5678_9ABCUL, on.Cpu.R[Reg.RBX]);
        Assert.Equal(0x1234_5678_9ABCUL, on.Cpu.Segs[Seg.GS].Base);
        Assert.Equal(0xDEAD_BEEFUL, on.Cpu.R[Reg.RDX]);
        Assert.True(on.Cpu.TryReadMsr(Msr.FsBase, out ulong fs));
        Assert.Equal(0xDEAD_BEEFUL, fs);
    }

    [Fact]
    public void Rdpid_reads_tsc_aux_at_any_privilege_and_rdpmc_finds_no_counters()
    {
        using var m = TestMachine.LongMode();
        Assert.True(m.Cpu.TryWriteMsr(Msr.TscAux, 0x0102_0304));
        m.Load(a => { a.mov(rax, -1L); a.rdpid(rax); a.xor(ecx, ecx); a.rdpmc(); a.hlt(); });
        SystemTestKit.EnterUserMode(m.Cpu);
        var fault = SystemTestKit.RunToFault(m);
        Assert.Equal(0x0102_0304UL, m.Cpu.R[Reg.RAX]);
        Assert.Equal((Vector.GP, 0u), fault);                           // RDPMC: counter 0 does not exist
    }

    [Fact]
    public void Stac_and_clac_toggle_ac_at_cpl_0_and_are_ud_at_cpl_3()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { a.stac(); a.pushfq(); a.pop(rbx); a.clac(); a.pushfq(); a.pop(rcx); a.hlt(); });
        SystemTestKit.RunToHalt(m);
        Assert.Equal(Rflags.AC, m.Cpu.R[Reg.RBX] & Rflags.AC);
        Assert.Equal(0UL, m.Cpu.R[Reg.RCX] & Rflags.AC);

        using var user = TestMachine.LongMode();
        user.Load(a => { a.stac(); a.hlt(); });
        SystemTestKit.EnterUserMode(user.Cpu);
        Assert.Equal(Vector.UD, SystemTestKit.RunToFault(user).Vector);
    }

    [Fact]
    public void Clwb_checks_the_address_like_a_byte_load()
    {
        using var m = TestMachine.LongMode();
        m.Load(a => { a.mov(rax, (long)TestMachine.DataBase); a.clwb(__byte_ptr[rax]); a.mov(rax, 0x7FFF_0000_0000L); a.clwb(__byte_ptr[rax]); a.hlt(); });
        var fault = SystemTestKit.RunToFault(m);
        Assert.Equal(Vector.PF, fault.Vector);
        Assert.Equal(0x7FFF_0000_0000UL, m.Cpu.Cr2);
    }

    [Fact]
    public void Debugctl_btf_turns_single_step_into_step_on_branches_and_a_db_clears_it()
    {
        var obs = new Events.RecordingObserver();
        using var m = Events.EventRig.LongMode(obs);
        var c = m.Cpu;
        Events.EventRig.Gate64(m.Memory, Vector.DB, Events.EventRig.HandlerAt(Vector.DB));
        Events.EventRig.Load64(m, Events.EventRig.HandlerAt(Vector.DB), (a, l) => { a.inc(r15); a.iretq(); });
        var at = Events.EventRig.Load64(m, TestMachine.CodeBase, (a, l) =>
        {
            a.nop(); a.nop();
            a.jmp(l[0]);
            a.nop();
            a.Label(ref l[0]);
            a.nop(); a.Label(ref l[1]);
            a.nop();
            a.hlt();
        }, 2);
        Assert.True(c.TryWriteMsr(Msr.DebugCtl, CpuCore.DebugCtlBtf));
        c.SetRflags(0x202 | Rflags.TF);
        m.Run(100);

        // The first trap follows the taken JMP; the #DB cleared BTF, so after it every instruction traps.
        Assert.Equal(at[0], obs.Events[0].FromRip);
        Assert.Equal(at[1], obs.Events[1].FromRip);
        Assert.Equal(0UL, c.DebugCtl);
    }

    [Fact]
    public void Ltr_in_ia32e_mode_refuses_a_tss_descriptor_with_a_non_canonical_base()
    {
        using var m = TestMachine.LongMode();
        m.Memory.Write(TestMachine.GdtBase + 0x28, 8, 0x0000_8900_0000_0067UL);   // 64-bit TSS, base 0
        m.Memory.Write(TestMachine.GdtBase + 0x30, 8, 0x0000_0000_AAAA_AAAAUL);   // base 63:32 non-canonical
        m.Cpu.Gdtr = new DescriptorTableRegister { Base = TestMachine.GdtBase, Limit = 0x37 };
        m.Load(a => { a.mov(eax, 0x28); a.ltr(ax); a.hlt(); });
        Assert.Equal((Vector.GP, 0x28u), SystemTestKit.RunToFault(m));
    }
}
