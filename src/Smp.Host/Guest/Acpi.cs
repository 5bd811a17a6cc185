using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>ACPI: find the RSDP (EBDA, then 0xE0000–0xFFFFF), walk the RSDT to the MADT ("APIC"), register its enabled local APICs.</summary>
internal sealed partial class Kernel64Builder
{
    private void EmitAcpi()
    {
        // acpi_tb_scan_memory_for_rsdp(RDI = start, RSI = length) -> RAX = RSDP or 0.
        Begin("acpi_tb_scan_memory_for_rsdp");
        A.push(rbx);
        A.push(rcx);
        A.push(rdx);
        A.lea(rdx, __[rdi + rsi]);
        A.mov(rbx, rdi);
        A.mov(rcx, 0x2052545020445352UL); // "RSD PTR "
        var scan = c.Local();
        var next = c.Local();
        var notFound = c.Local();
        var found = c.Local();
        var sum = c.Local();
        c.Bind(scan);
        A.cmp(rbx, rdx);
        A.jae(notFound);
        A.cmp(__qword_ptr[rbx], rcx);
        A.jne(next);
        A.xor(eax, eax);
        A.mov(esi, 20);
        c.Bind(sum);
        A.add(al, __byte_ptr[rbx + rsi - 1]);
        A.dec(esi);
        A.jnz(sum);
        A.test(al, al);
        A.jz(found);
        c.Bind(next);
        A.add(rbx, 16);
        A.jmp(scan);
        c.Bind(found);
        A.mov(rax, rbx);
        var leave = c.Local();
        A.jmp(leave);
        c.Bind(notFound);
        A.xor(eax, eax);
        c.Bind(leave);
        A.pop(rdx);
        A.pop(rcx);
        A.pop(rbx);
        End();

        // acpi_find_root_pointer: the EBDA's first KiB, then the BIOS area.
        Begin("acpi_find_root_pointer");
        var bios = c.Local();
        var out1 = c.Local();
        A.movzx(edi, __word_ptr[0x40E]);
        A.shl(edi, 4);
        A.cmp(edi, 0x400);
        A.jb(bios);
        A.mov(esi, 1024);
        Call("acpi_tb_scan_memory_for_rsdp");
        A.test(rax, rax);
        A.jnz(out1);
        c.Bind(bios);
        A.mov(edi, 0xE0000);
        A.mov(esi, 0x20000);
        Call("acpi_tb_scan_memory_for_rsdp");
        c.Bind(out1);
        End();

        Begin("acpi_boot_table_init");
        A.push(rbx);
        Call("acpi_find_root_pointer");
        A.mov(__qword_ptr[KernelLayout.AcpiRsdp], rax);
        var haveRsdp = c.Local();
        var done = c.Local();
        A.test(rax, rax);
        A.jnz(haveRsdp);
        Print("ACPI: RSDP not found; booting the boot CPU only\n");
        A.jmp(done);
        c.Bind(haveRsdp);
        A.mov(rbx, rax);
        Print("ACPI: RSDP 0x");
        PrintHex(rbx, 16);
        Print(" 000014 (v");
        A.movzx(edi, __byte_ptr[rbx + 15]);
        A.mov(esi, 2);
        Call("printk_hex");
        Print(" ");
        for (var i = 0; i < 6; i++)
        {
            A.movzx(edi, __byte_ptr[rbx + 9 + i]);
            Call("early_serial_putc");
        }

        Print(")\n");
        c.Bind(done);
        A.pop(rbx);
        End();

        // acpi_boot_init: RSDT -> MADT -> local APIC entries.
        Begin("acpi_boot_init");
        A.push(rbx);
        A.push(r12);
        A.push(r13);
        var noTables = c.Local();
        var search = c.Local();
        var foundMadt = c.Local();
        var noMadt = c.Local();
        A.mov(rax, __qword_ptr[KernelLayout.AcpiRsdp]);
        A.test(rax, rax);
        A.jz(noTables);
        A.mov(ebx, __dword_ptr[rax + 16]);
        Print("ACPI: RSDT 0x");
        PrintHex(rbx, 16);
        Print("\n");
        A.mov(r12d, __dword_ptr[rbx + 4]);
        A.sub(r12d, 36);
        A.shr(r12d, 2);
        A.lea(r13, __[rbx + 36]);
        c.Bind(search);
        A.test(r12d, r12d);
        A.jz(noMadt);
        A.mov(eax, __dword_ptr[r13]);
        A.cmp(__dword_ptr[rax], 0x43495041); // "APIC"
        A.je(foundMadt);
        A.add(r13, 4);
        A.dec(r12d);
        A.jmp(search);
        c.Bind(foundMadt);
        A.mov(__qword_ptr[KernelLayout.AcpiMadt], rax);
        A.mov(rbx, rax);
        Print("ACPI: APIC 0x");
        PrintHex(rbx, 16);
        Print("\n");
        A.mov(rdi, rbx);
        Call("acpi_parse_madt_lapic_entries");
        A.jmp(noTables);
        c.Bind(noMadt);
        Print("ACPI: no MADT; booting the boot CPU only\n");
        c.Bind(noTables);
        A.pop(r13);
        A.pop(r12);
        A.pop(rbx);
        End();

        // acpi_parse_madt_lapic_entries(RDI = MADT): type 0 entries with the enabled bit.
        Begin("acpi_parse_madt_lapic_entries");
        A.push(rbx);
        A.push(r12);
        A.mov(r12d, __dword_ptr[rdi + 4]);
        A.add(r12, rdi);
        A.lea(rbx, __[rdi + 0x2C]);
        var entry = c.Local();
        var skip = c.Local();
        var end = c.Local();
        c.Bind(entry);
        A.cmp(rbx, r12);
        A.jae(end);
        A.cmp(__byte_ptr[rbx + 1], 0);
        A.je(end);
        A.cmp(__byte_ptr[rbx], 0);
        A.jne(skip);
        A.test(__byte_ptr[rbx + 4], 1);
        A.jz(skip);
        A.movzx(edi, __byte_ptr[rbx + 3]);
        Call("acpi_register_lapic");
        c.Bind(skip);
        A.movzx(eax, __byte_ptr[rbx + 1]);
        A.add(rbx, rax);
        A.jmp(entry);
        c.Bind(end);
        A.pop(r12);
        A.pop(rbx);
        End();

        // acpi_register_lapic(EDI = APIC ID): the boot CPU is CPU 0; others take the next number.
        Begin("acpi_register_lapic");
        var ignore = c.Local();
        A.cmp(edi, __dword_ptr[KernelLayout.BootCpuApicId]);
        A.je(ignore);
        A.mov(eax, __dword_ptr[KernelLayout.NrCpuIds]);
        A.cmp(eax, KernelLayout.MaxCpus);
        A.jae(ignore);
        A.mov(ecx, (uint)KernelLayout.CpuToApicId);
        A.mov(__dword_ptr[rcx + rax * 4], edi);
        A.inc(__dword_ptr[KernelLayout.NrCpuIds]);
        c.Bind(ignore);
        End();

        Begin("prefill_possible_map");
        A.mov(eax, __dword_ptr[KernelLayout.NrCpuIds]);
        A.push(rbx);
        A.mov(rbx, rax);
        Print("smpboot: Allowing ");
        PrintDec(rbx);
        Print(" CPUs, 0 hotplug CPUs\n");
        A.pop(rbx);
        End();
    }
}
