using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>arch/x86/kernel/apic: xAPIC MMIO at 0xFEE00000, the boot CPU's APIC ID, ICR, INIT/SIPI/SIPI (fact A3).</summary>
internal sealed partial class Kernel64Builder
{
    private const int ApicId = 0x20;
    private const int ApicTpr = 0x80;
    private const int ApicSvr = 0xF0;
    private const int ApicEsr = 0x280;
    private const int ApicIcr = 0x300;
    private const int ApicIcr2 = 0x310;

    private void EmitApic()
    {
        // init_apic_mappings: boot_cpu_physical_apicid = APIC ID register; CPU 0 is the boot CPU.
        Begin("init_apic_mappings");
        A.mov(eax, ApicBase);
        A.mov(eax, __dword_ptr[rax + ApicId]);
        A.shr(eax, 24);
        A.mov(__dword_ptr[KernelLayout.BootCpuApicId], eax);
        A.mov(__dword_ptr[KernelLayout.CpuToApicId], eax);
        A.mov(__dword_ptr[KernelLayout.NrCpuIds], 1);
        End();

        // setup_local_APIC: software-enable with spurious vector 0xFF, accept all priorities.
        Begin("setup_local_APIC");
        A.mov(eax, ApicBase);
        A.mov(__dword_ptr[rax + ApicTpr], 0);
        A.mov(__dword_ptr[rax + ApicSvr], 0x1FF);
        End();

        // safe_apic_wait_icr_idle: wait (bounded) for ICR delivery status (bit 12) to clear.
        Begin("safe_apic_wait_icr_idle");
        A.push(rax);
        A.push(rcx);
        A.mov(eax, ApicBase);
        A.mov(ecx, 1_000_000);
        var poll = c.Local();
        var idle = c.Local();
        c.Bind(poll);
        A.test(__dword_ptr[rax + ApicIcr], 0x1000);
        A.jz(idle);
        A.pause();
        A.dec(ecx);
        A.jnz(poll);
        c.Bind(idle);
        A.pop(rcx);
        A.pop(rax);
        End();

        // wakeup_secondary_cpu_via_init(EDI = APIC ID, ESI = start_eip) -> EAX = accumulated ESR errors.
        Begin("wakeup_secondary_cpu_via_init");
        A.push(rbx);
        A.push(r12);
        A.push(r13);
        A.push(r14);
        A.mov(r12d, edi);
        A.shl(r12d, 24);
        A.mov(r13d, esi);
        A.shr(r13d, 12);
        A.or(r13d, 0x600); // DM_STARTUP | vector
        A.mov(ebx, ApicBase);
        A.xor(r14d, r14d);

        // Clear the ESR (integrated APIC, maxlvt > 3).
        A.mov(__dword_ptr[rbx + ApicEsr], 0);
        A.mov(eax, __dword_ptr[rbx + ApicEsr]);

        // INIT: assert (LEVELTRIG | ASSERT | DM_INIT), wait, de-assert.
        A.mov(__dword_ptr[rbx + ApicIcr2], r12d);
        A.mov(__dword_ptr[rbx + ApicIcr], 0xC500);
        Call("safe_apic_wait_icr_idle");
        A.mov(edi, __dword_ptr[KernelLayout.InitUdelay]);
        Call("udelay");
        A.mov(__dword_ptr[rbx + ApicIcr2], r12d);
        A.mov(__dword_ptr[rbx + ApicIcr], 0x8500);
        Call("safe_apic_wait_icr_idle");

        // Two STARTUP IPIs.
        for (var sipi = 0; sipi < 2; sipi++)
        {
            A.mov(__dword_ptr[rbx + ApicEsr], 0);
            A.mov(__dword_ptr[rbx + ApicIcr2], r12d);
            A.mov(__dword_ptr[rbx + ApicIcr], r13d);
            A.mov(edi, 10);
            Call("udelay");
            Call("safe_apic_wait_icr_idle");
            A.mov(edi, 200);
            Call("udelay");
            A.mov(__dword_ptr[rbx + ApicEsr], 0);
            A.mov(eax, __dword_ptr[rbx + ApicEsr]);
            A.and(eax, 0xEF);
            A.or(r14d, eax);
        }

        A.mov(eax, r14d);
        A.pop(r14);
        A.pop(r13);
        A.pop(r12);
        A.pop(rbx);
        End();
    }
}
