using Smp.Devices.Cpu;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>Per-CPU state: setup_per_cpu_areas, the per-CPU GDT page (init_gdt_page), cpu_init (TSS, IST, LTR, LIDT, GS_BASE).</summary>
internal sealed partial class Kernel64Builder
{
    private static readonly ulong[] GdtEntries =
    [
        0x0000000000000000, // null
        0x00cf9b000000ffff, // 0x08 KERNEL32_CS
        0x00af9b000000ffff, // 0x10 KERNEL_CS
        0x00cf93000000ffff, // 0x18 KERNEL_DS
        0x00cffb000000ffff, // 0x23 USER32_CS
        0x00cff3000000ffff, // 0x2b USER_DS
        0x00affb000000ffff, // 0x33 USER_CS
    ];

    private void EmitPerCpu()
    {
        Begin("setup_per_cpu_areas");
        A.push(rbx);
        Print("setup_percpu: NR_CPUS:64 nr_cpumask_bits:64 nr_cpu_ids:");
        A.mov(edi, __dword_ptr[KernelLayout.NrCpuIds]);
        PrintDec(rdi);
        Print(" nr_node_ids:1\n");
        A.xor(ebx, ebx);
        var loop = c.Local();
        var done = c.Local();
        c.Bind(loop);
        A.cmp(ebx, __dword_ptr[KernelLayout.NrCpuIds]);
        A.jae(done);
        Scaled(rax, rbx, 12, KernelLayout.PerCpu);
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuSelf], rax);
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuNumber], rbx);
        A.mov(ecx, (uint)KernelLayout.CpuToApicId);
        A.mov(ecx, __dword_ptr[rcx + rbx * 4]);
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuApicId], rcx);
        Scaled(rcx, rbx, 12, KernelLayout.GdtPages);
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuGdt], rcx);
        Scaled(rcx, rbx, 7, KernelLayout.Tss);
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuTss], rcx);
        A.lea(rcx, __[rbx + 1]);
        A.shl(rcx, 14);
        A.add(rcx, (int)KernelLayout.KernelStacks);
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuStackTop], rcx);
        Scaled(rcx, rbx, 16, KernelLayout.NmiFaultPage(0));
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuNmiFaultPage], rcx);
        Scaled(rcx, rbx, 7, KernelLayout.IstPte(KernelLayout.NmiFaultPage(0)));
        A.mov(__qword_ptr[rax + KernelLayout.PerCpuNmiFaultPte], rcx);
        A.mov(edi, ebx);
        Call("init_gdt_page");
        A.inc(ebx);
        A.jmp(loop);
        c.Bind(done);
        A.pop(rbx);
        End();

        // init_gdt_page(EDI = cpu): the per-CPU gdt_page's static part (fact B1).
        Begin("init_gdt_page");
        Scaled(rax, rdi, 12, KernelLayout.GdtPages);
        for (var i = 0; i < GdtEntries.Length; i++)
        {
            A.mov(rcx, GdtEntries[i]);
            A.mov(__qword_ptr[rax + (i * 8)], rcx);
        }

        End();

        // cpu_init(EDI = cpu): TSS with IST stacks, TSS descriptor, GDT, segments, GS_BASE, LTR, LIDT.
        Begin("cpu_init");
        A.push(rbx);
        A.push(r12);
        A.mov(r12d, edi);
        Scaled(rbx, r12, 12, KernelLayout.GdtPages);
        Scaled(rdx, r12, 7, KernelLayout.Tss);

        // tss.ist[0..3] = tops of the #DF, NMI, #DB, #MC stacks (gate IST 1..4; facts B3, B6).
        for (var ist = 1; ist <= 4; ist++)
        {
            Scaled(rax, r12, 16, KernelLayout.IstTop(0, ist));
            A.mov(__qword_ptr[rdx + (int)Tss64.IstOffset(ist)], rax);
        }

        A.lea(rax, __[r12 + 1]);
        A.shl(rax, 14);
        A.add(rax, (int)KernelLayout.KernelStacks);
        A.mov(__qword_ptr[rdx + 0x04], rax); // sp0
        A.mov(__word_ptr[rdx + 0x66], 0x68); // io_bitmap_base: no bitmap

        // set_tss_desc: 64-bit available TSS (type 9), limit 0x67, at GDT slot 8 (selector 0x40).
        A.mov(rax, rdx);
        A.and(eax, 0xFFFFFF);
        A.shl(rax, 16);
        A.or(rax, 0x67);
        A.mov(rcx, 0x0000890000000000UL);
        A.or(rax, rcx);
        A.mov(rcx, rdx);
        A.shr(rcx, 24);
        A.and(ecx, 0xFF);
        A.shl(rcx, 56);
        A.or(rax, rcx);
        A.mov(__qword_ptr[rbx + 0x40], rax);
        A.mov(rcx, rdx);
        A.shr(rcx, 32);
        A.mov(__qword_ptr[rbx + 0x48], rcx);

        // load_direct_gdt + reload segments (CS by a far return).
        A.sub(rsp, 16);
        A.mov(__word_ptr[rsp], KernelLayout.GdtLimit);
        A.mov(__qword_ptr[rsp + 2], rbx);
        A.lgdt(__[rsp]);
        A.add(rsp, 16);
        var reloaded = c.Local();
        A.push(0x10);
        A.lea(rax, __[reloaded]);
        A.push(rax);
        A.db(0x48, 0xCB); // lretq
        c.Bind(reloaded);
        A.mov(eax, 0x18);
        A.mov(ds, ax);
        A.mov(es, ax);
        A.mov(ss, ax);
        A.xor(eax, eax);
        A.mov(fs, ax);
        A.mov(gs, ax);

        // IA32_GS_BASE = this CPU's per-CPU area.
        Scaled(rax, r12, 12, KernelLayout.PerCpu);
        A.mov(rdx, rax);
        A.shr(rdx, 32);
        A.mov(ecx, 0xC0000101);
        A.wrmsr();

        A.mov(eax, 0x40);
        A.ltr(ax);
        A.lidt(__[KernelLayout.IdtDescr]);
        A.pop(r12);
        A.pop(rbx);
        End();
    }
}
