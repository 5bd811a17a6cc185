using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>arch/x86/kernel/head_64.S and head64.c: startup_64, secondary_startup_64, x86_64_start_kernel.</summary>
internal sealed partial class Kernel64Builder
{
    private void EmitHead64()
    {
        // startup_64: the BSP arrives from startup_32 in long mode on the boot GDT (CS 0x10).
        c.Function("startup_64");
        A.mov(eax, 0x18);
        A.mov(ds, ax);
        A.mov(es, ax);
        A.mov(ss, ax);
        A.xor(eax, eax);
        A.mov(fs, ax);
        A.mov(gs, ax);
        A.mov(esp, (uint)KernelLayout.KernelStackTop(0));
        A.cld();
        A.mov(edi, (uint)KernelLayout.BssStart);
        A.mov(ecx, (uint)((KernelLayout.BssEnd - KernelLayout.BssStart) / 8));
        A.rep.stosq();

        // The boot CPU's handoff, as if the BSP were booting itself (head_64.S: the BSP also
        // enters secondary_startup_64, with initial_code = x86_64_start_kernel).
        A.xor(edi, edi);
        Call("init_gdt_page");
        A.mov(__word_ptr[KernelLayout.EarlyGdtDescr], KernelLayout.GdtLimit);
        A.mov(__dword_ptr[KernelLayout.EarlyGdtDescr + 2], (uint)KernelLayout.GdtPage(0));
        A.mov(__qword_ptr[KernelLayout.InitialGs], (int)KernelLayout.PerCpuArea(0));
        A.mov(__qword_ptr[KernelLayout.PerCpuArea(0)], (int)KernelLayout.PerCpuArea(0));
        A.mov(__qword_ptr[KernelLayout.InitialStack], (int)KernelLayout.KernelStackTop(0));
        A.lea(rax, __[c.L("x86_64_start_kernel")]);
        A.mov(__qword_ptr[KernelLayout.InitialCode], rax);
        A.mov(esi, (uint)KernelLayout.ZeroPage);
        A.jmp(c.L("secondary_startup_64"));

        // secondary_startup_64: every CPU. APs arrive from the trampoline on tr_gdt.
        c.Function("secondary_startup_64");
        A.mov(rax, cr4);
        A.or(eax, 0x20 | 0x80); // PAE | PGE
        A.mov(cr4, rax);
        A.lgdt(__[KernelLayout.EarlyGdtDescr]);
        A.mov(eax, 0x18);
        A.mov(ds, ax);
        A.mov(ss, ax);
        A.mov(es, ax);
        A.xor(eax, eax);
        A.mov(fs, ax);
        A.mov(gs, ax);
        A.mov(ecx, 0xC0000101); // MSR_GS_BASE <- initial_gs
        A.mov(rax, __qword_ptr[KernelLayout.InitialGs]);
        A.mov(rdx, rax);
        A.shr(rdx, 32);
        A.wrmsr();
        A.mov(rsp, __qword_ptr[KernelLayout.InitialStack]);
        A.push(0);
        A.popfq();
        A.xor(ebp, ebp);
        A.mov(rdi, rsi);
        A.mov(rax, __qword_ptr[KernelLayout.InitialCode]);
        A.push(0x10);
        A.push(rax);
        A.db(0x48, 0xCB); // lretq to __KERNEL_CS:initial_code

        Begin("x86_64_start_kernel");
        Call("start_kernel");
        End();
    }
}
