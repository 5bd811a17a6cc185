using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>
/// arch/x86/kernel/smpboot.c and kernel/smp.c: the BSP copies the trampoline (setup_real_mode), then boots
/// each further CPU of the MADT one at a time (do_boot_cpu) and waits for its online bit; the AP side
/// (start_secondary, smp_callin) ends in cpu_idle.
/// </summary>
internal sealed partial class Kernel64Builder
{
    private const ulong TrampolineHeader = KernelLayout.Trampoline + KernelLayout.TrampolineHeader;

    private void EmitSmpBoot()
    {
        Begin("smp_prepare_cpus");
        Call("smp_quirk_init_udelay");
        Call("setup_local_APIC");
        Call("setup_real_mode");
        End();

        // smp_quirk_init_udelay: init_udelay keeps a cpu_init_udelay= value; otherwise 0 on Intel family 6,
        // AMD family >= 0xF and Hygon family >= 0x18, else the MP spec's 10 ms (fact A3). Linux prints nothing.
        Begin("smp_quirk_init_udelay");
        if (options.InitUdelayMicroseconds is { } overridden)
        {
            A.mov(__dword_ptr[KernelLayout.InitUdelay], overridden);
            End();
        }
        else
        {
            EmitInitUdelayRule();
        }

        // setup_real_mode: copy the blob below 1 MiB and fill trampoline_header (fact A4).
        Begin("setup_real_mode");
        A.push(rsi);
        A.push(rdi);
        A.mov(esi, (uint)KernelLayout.TrampolineImage);
        A.mov(edi, (uint)KernelLayout.Trampoline);
        A.mov(ecx, KernelLayout.TrampolineSize);
        A.rep.movsb();
        A.lea(rax, __[c.L("secondary_startup_64")]);
        A.mov(__qword_ptr[TrampolineHeader], rax); // tr_start
        A.mov(rax, cr3);
        A.mov(__dword_ptr[TrampolineHeader + 8], eax); // tr_cr3
        A.mov(ecx, 0xC0000080);
        A.rdmsr();
        A.and(eax, ~0x400); // EFER without LMA
        A.mov(__dword_ptr[TrampolineHeader + 12], eax); // tr_efer
        A.mov(rax, cr4);
        A.mov(__dword_ptr[TrampolineHeader + 16], eax); // tr_cr4
        A.pop(rdi);
        A.pop(rsi);
        End();

        Begin("smp_init");
        A.push(rbx);
        Print("smp: Bringing up secondary CPUs ...\n");
        var summary = c.Local();
        A.cmp(__dword_ptr[KernelLayout.NrCpuIds], 1);
        A.jbe(summary);
        Print("x86: Booting SMP configuration:\n.... node  #0, CPUs:  ");
        A.mov(ebx, 1);
        var boot = c.Local();
        var booted = c.Local();
        c.Bind(boot);
        A.cmp(ebx, __dword_ptr[KernelLayout.NrCpuIds]);
        A.jae(booted);
        A.mov(edi, ebx);
        Call("do_boot_cpu");
        A.inc(ebx);
        A.jmp(boot);
        c.Bind(booted);
        Print("\n");
        c.Bind(summary);

        // Count the online CPUs (clear the lowest set bit until none is left).
        A.mov(rdx, __qword_ptr[KernelLayout.CpuOnlineMask]);
        A.xor(ebx, ebx);
        var count = c.Local();
        var counted = c.Local();
        c.Bind(count);
        A.test(rdx, rdx);
        A.jz(counted);
        A.lea(rax, __[rdx - 1]);
        A.and(rdx, rax);
        A.inc(ebx);
        A.jmp(count);
        c.Bind(counted);
        Print("smp: Brought up 1 node, ");
        PrintDec(rbx);
        var plural = c.Local();
        var printed = c.Local();
        A.cmp(ebx, 1);
        A.jne(plural);
        Print(" CPU\n");
        A.jmp(printed);
        c.Bind(plural);
        Print(" CPUs\n");
        c.Bind(printed);
        A.pop(rbx);
        End();

        // do_boot_cpu(EDI = cpu): hand-off, warm reset vector, INIT/SIPI/SIPI, wait <= 10 s for online.
        Begin("do_boot_cpu");
        A.push(rbx);
        A.push(r12);
        A.push(r13);
        A.mov(r12d, edi);

        // announce_cpu
        var first = c.Local();
        A.cmp(r12d, 1);
        A.je(first);
        Print(" ");
        c.Bind(first);
        Print("#");
        PrintDec(r12);

        // early_gdt_descr, initial_gs, initial_stack, initial_code for this CPU.
        A.mov(__word_ptr[KernelLayout.EarlyGdtDescr], KernelLayout.GdtLimit);
        Scaled(rax, r12, 12, KernelLayout.GdtPages);
        A.mov(__qword_ptr[KernelLayout.EarlyGdtDescr + 2], rax);
        Scaled(rax, r12, 12, KernelLayout.PerCpu);
        A.mov(__qword_ptr[KernelLayout.InitialGs], rax);
        A.lea(rax, __[r12 + 1]);
        A.shl(rax, 14);
        A.add(rax, (int)KernelLayout.KernelStacks);
        A.mov(__qword_ptr[KernelLayout.InitialStack], rax);
        A.lea(rax, __[c.L("start_secondary")]);
        A.mov(__qword_ptr[KernelLayout.InitialCode], rax);
        A.mov(eax, (uint)KernelLayout.CpuCallinMask);
        A.@lock.btr(__qword_ptr[rax], r12);

        A.mov(edi, (uint)KernelLayout.Trampoline);
        Call("smpboot_setup_warm_reset_vector");
        A.mov(eax, (uint)KernelLayout.CpuToApicId);
        A.mov(edi, __dword_ptr[rax + r12 * 4]);
        A.mov(esi, (uint)KernelLayout.Trampoline);
        Call("wakeup_secondary_cpu_via_init");
        var delivered = c.Local();
        A.test(eax, eax);
        A.jz(delivered);
        A.mov(rbx, rax);
        Print("\nsmpboot: APIC delivery error (0x");
        PrintHex(rbx, 2);
        Print(")\n");
        c.Bind(delivered);

        // Wait up to 10 s of TSC time for cpu_online_mask.
        A.mov(r13, __qword_ptr[KernelLayout.TscKhz]);
        A.imul(r13, r13, 10_000);
        ReadTsc();
        A.mov(rbx, rax);
        var wait = c.Local();
        var online = c.Local();
        c.Bind(wait);
        A.mov(eax, (uint)KernelLayout.CpuOnlineMask);
        A.bt(__qword_ptr[rax], r12);
        A.jc(online);
        A.pause();
        ReadTsc();
        A.sub(rax, rbx);
        A.cmp(rax, r13);
        A.jb(wait);
        Print("\nsmpboot: do_boot_cpu failed(-1) to wakeup CPU#");
        PrintDec(r12);
        Print("\n");
        c.Bind(online);
        Call("smpboot_restore_warm_reset_vector");
        A.pop(r13);
        A.pop(r12);
        A.pop(rbx);
        End();

        // smpboot_setup_warm_reset_vector(EDI = start_eip): CMOS 0x0F <- 0x0A, 0x467 <- start_eip.
        Begin("smpboot_setup_warm_reset_vector");
        A.mov(al, 0x0F);
        A.@out(0x70, al);
        A.mov(al, 0x0A);
        A.@out(0x71, al);
        A.mov(eax, edi);
        A.and(eax, 0xF);
        A.mov(__word_ptr[0x467], ax);
        A.mov(eax, edi);
        A.shr(eax, 4);
        A.mov(__word_ptr[0x469], ax);
        End();

        Begin("smpboot_restore_warm_reset_vector");
        A.mov(al, 0x0F);
        A.@out(0x70, al);
        A.xor(eax, eax);
        A.@out(0x71, al);
        A.mov(__dword_ptr[0x467], 0);
        End();

        // start_secondary: entered from secondary_startup_64 on this CPU's own stack and GS_BASE.
        Begin("start_secondary");
        A.mov(rdi, __qword_ptr.gs[KernelLayout.PerCpuNumber]);
        Call("cpu_init");
        Call("smp_callin");
        A.mov(rcx, __qword_ptr.gs[KernelLayout.PerCpuNumber]);
        A.mov(eax, (uint)KernelLayout.CpuOnlineMask);
        A.@lock.bts(__qword_ptr[rax], rcx); // set_cpu_online
        Call("cpu_idle");
        End();

        Begin("smp_callin");
        Call("setup_local_APIC");
        A.mov(rcx, __qword_ptr.gs[KernelLayout.PerCpuNumber]);
        A.mov(eax, (uint)KernelLayout.CpuCallinMask);
        A.@lock.bts(__qword_ptr[rax], rcx);
        End();
    }

    /// <summary>The body of smp_quirk_init_udelay without an override: CPUID vendor and family decide (fact A3).</summary>
    private void EmitInitUdelayRule()
    {
        A.push(rbx);
        var decided = c.Local();
        var legacy = c.Local();
        var modern = c.Local();
        A.xor(eax, eax);
        A.cpuid(); // vendor: EBX, EDX, ECX
        A.mov(r8d, ebx);
        A.mov(r9d, edx);
        A.mov(r10d, ecx);
        A.mov(eax, 1);
        A.cpuid(); // family: EAX[11:8], plus the extended family EAX[27:20] when that is 0xF
        A.mov(r11d, eax);
        A.shr(r11d, 8);
        A.and(r11d, 0xF);
        var baseFamily = c.Local();
        A.cmp(r11d, 0xF);
        A.jne(baseFamily);
        A.shr(eax, 20);
        A.and(eax, 0xFF);
        A.add(r11d, eax);
        c.Bind(baseFamily);
        (uint Ebx, uint Edx, uint Ecx, int MinFamily, int MaxFamily)[] vendors =
        [
            (0x756E6547, 0x49656E69, 0x6C65746E, 6, 6), // GenuineIntel: family 6
            (0x68747541, 0x69746E65, 0x444D4163, 0xF, int.MaxValue), // AuthenticAMD: family >= 0xF
            (0x6F677948, 0x6E65476E, 0x656E6975, 0x18, int.MaxValue), // HygonGenuine: family >= 0x18
        ];
        for (var i = 0; i < vendors.Length; i++)
        {
            var (vebx, vedx, vecx, min, max) = vendors[i];
            var other = i + 1 < vendors.Length ? c.Local() : legacy;
            A.cmp(r8d, vebx);
            A.jne(other);
            A.cmp(r9d, vedx);
            A.jne(other);
            A.cmp(r10d, vecx);
            A.jne(other);
            A.cmp(r11d, min);
            A.jb(legacy);
            if (max != int.MaxValue)
            {
                A.cmp(r11d, max);
                A.ja(legacy);
            }

            A.jmp(modern);
            if (i + 1 < vendors.Length)
            {
                c.Bind(other);
            }
        }

        c.Bind(legacy);
        A.mov(__dword_ptr[KernelLayout.InitUdelay], 10000);
        A.jmp(decided);
        c.Bind(modern);
        A.mov(__dword_ptr[KernelLayout.InitUdelay], 0);
        c.Bind(decided);
        A.pop(rbx);
        End();
    }
}
