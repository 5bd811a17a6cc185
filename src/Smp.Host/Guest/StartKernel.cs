using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>init/main.c and arch/x86/kernel/setup.c, e820.c: start_kernel down to rest_init and cpu_idle.</summary>
internal sealed partial class Kernel64Builder
{
    private const ulong E820Entries = KernelLayout.ZeroPage + 0x1E8;
    private const ulong E820Table = KernelLayout.ZeroPage + 0x2D0;

    private void EmitStartKernel()
    {
        Begin("start_kernel");
        Call("early_serial_init");
        Print("Linux version 6.0.0-smp (smp@sim) (the Smp built-in kernel, assembled with Iced) #1 SMP\n");
        Call("boot_cpu_init");
        Call("setup_arch");
        Call("setup_per_cpu_areas");
        Call("trap_init");
        A.xor(edi, edi);
        Call("cpu_init");
        Call("mm_core_init");
        Call("sched_init");
        Call("time_init");
        Call("rest_init");
        End();

        // boot_cpu_init: the boot CPU is online from the start.
        Begin("boot_cpu_init");
        A.mov(__qword_ptr[KernelLayout.CpuOnlineMask], 1);
        End();

        Begin("setup_arch");
        Call("e820__memory_setup");
        Call("acpi_boot_table_init");
        Call("init_apic_mappings");
        Call("acpi_boot_init");
        Call("prefill_possible_map");
        End();

        Begin("e820__memory_setup");
        Print("BIOS-provided physical RAM map:\n");
        Call("e820__print_table");
        End();

        Begin("e820__print_table");
        A.push(rbx);
        A.push(r12);
        A.movzx(r12d, __byte_ptr[E820Entries]);
        A.mov(ebx, (uint)E820Table);
        var loop = c.Local();
        var done = c.Local();
        c.Bind(loop);
        A.test(r12d, r12d);
        A.jz(done);
        Print("BIOS-e820: [mem 0x");
        A.mov(rdi, __qword_ptr[rbx]);
        A.mov(esi, 16);
        Call("printk_hex");
        Print("-0x");
        A.mov(rdi, __qword_ptr[rbx]);
        A.add(rdi, __qword_ptr[rbx + 8]);
        A.dec(rdi);
        A.mov(esi, 16);
        Call("printk_hex");
        Print("] ");
        A.mov(edi, __dword_ptr[rbx + 16]);
        Call("e820_print_type");
        Print("\n");
        A.add(rbx, 20);
        A.dec(r12d);
        A.jmp(loop);
        c.Bind(done);
        A.pop(r12);
        A.pop(rbx);
        End();

        Begin("e820_print_type");
        string[] names = ["usable", "reserved", "ACPI data", "ACPI NVS", "unusable"];
        var typeDone = c.Local();
        for (var type = 1; type <= names.Length; type++)
        {
            var skip = c.Local();
            A.cmp(edi, type);
            A.jne(skip);
            Print(names[type - 1]);
            A.jmp(typeDone);
            c.Bind(skip);
        }

        A.push(rdi);
        Print("type ");
        A.pop(rdi);
        PrintDec(rdi);
        c.Bind(typeDone);
        End();

        // mm_core_init: report the usable RAM of the E820 map.
        Begin("mm_core_init");
        A.push(rbx);
        A.movzx(ecx, __byte_ptr[E820Entries]);
        A.mov(ebx, (uint)E820Table);
        A.xor(eax, eax);
        var sum = c.Local();
        var notUsable = c.Local();
        var summed = c.Local();
        c.Bind(sum);
        A.test(ecx, ecx);
        A.jz(summed);
        A.cmp(__dword_ptr[rbx + 16], 1);
        A.jne(notUsable);
        A.add(rax, __qword_ptr[rbx + 8]);
        c.Bind(notUsable);
        A.add(rbx, 20);
        A.dec(ecx);
        A.jmp(sum);
        c.Bind(summed);
        A.shr(rax, 10);
        A.mov(rbx, rax);
        Print("Memory: ");
        PrintDec(rbx);
        Print("K available\n");
        A.pop(rbx);
        End();

        // sched_init: the boot CPU's idle task runs on its boot stack.
        Begin("sched_init");
        A.mov(rax, __qword_ptr.gs[KernelLayout.PerCpuSelf]);
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuStackTop], (int)KernelLayout.KernelStackTop(0));
        End();

        Begin("rest_init");
        Call("kernel_init");
        Call("cpu_idle");
        End();

        Begin("kernel_init");
        Call("kernel_init_freeable");
        End();

        Begin("kernel_init_freeable");
        Call("smp_prepare_cpus");
        Call("smp_init");
        End();

        // cpu_idle: where every CPU ends.
        Begin("cpu_idle");
        var idle = c.Local();
        c.Bind(idle);
        A.sti();
        A.hlt();
        A.jmp(idle);
        End();
    }
}
