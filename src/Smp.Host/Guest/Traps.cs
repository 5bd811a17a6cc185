using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>arch/x86/kernel/traps.c and idt.c: the 64-bit IDT, exception entry stubs, NMI/#DB/#BP handlers, oopses.</summary>
internal sealed partial class Kernel64Builder
{
    /// <summary>Linux's asm_exc_* names for vectors 0–31 (null: reserved).</summary>
    private static readonly string?[] ExceptionNames =
    [
        "divide_error", "debug", "nmi", "int3", "overflow", "bounds", "invalid_op", "device_not_available",
        "double_fault", "coproc_segment_overrun", "invalid_tss", "segment_not_present", "stack_segment",
        "general_protection", "page_fault", "spurious_interrupt_bug", "coprocessor_error", "alignment_check",
        "machine_check", "simd_coprocessor_error", "virtualization_exception", "control_protection",
        null, null, null, null, null, null, "hv_injection", "vmm_communication", "security", null,
    ];

    /// <summary>Vectors whose exceptions push an error code (fact D3).</summary>
    private static readonly HashSet<int> ErrorCodeVectors = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30];

    /// <summary>Gate IST field per vector (fact B3): #DF 1, NMI 2, #DB 3, #MC 4.</summary>
    private static int IstOf(int vector) => vector switch
    {
        8 => 1,
        2 => 2,
        1 => 3,
        18 => 4,
        _ => 0,
    };

    private static string StubName(int vector) =>
        "asm_exc_" + (ExceptionNames[vector] ?? $"reserved_{vector}");

    private void EmitTraps()
    {
        Begin("trap_init");
        A.push(rbx);
        for (var vector = 0; vector < 32; vector++)
        {
            A.mov(edi, vector);
            A.lea(rsi, __[c.L(StubName(vector))]);
            A.mov(edx, IstOf(vector));
            Call("set_intr_gate");
        }

        A.mov(ebx, 32);
        var loop = c.Local();
        c.Bind(loop);
        A.mov(edi, ebx);
        A.lea(rsi, __[c.L("asm_common_interrupt")]);
        A.xor(edx, edx);
        Call("set_intr_gate");
        A.inc(ebx);
        A.cmp(ebx, 255);
        A.jb(loop);
        A.mov(edi, 255);
        A.lea(rsi, __[c.L("asm_sysvec_spurious_apic_interrupt")]);
        A.xor(edx, edx);
        Call("set_intr_gate");
        A.mov(__word_ptr[KernelLayout.IdtDescr], 0xFFF);
        A.mov(__qword_ptr[KernelLayout.IdtDescr + 2], (int)KernelLayout.Idt);
        if (options.Handlers == HandlerVariant.Linux)
        {
            // debug_idt_table: the same gates, but #DB with IST 0 (fact C3), for do_nmi over a debug stack.
            A.push(rsi);
            A.push(rdi);
            A.mov(esi, (uint)KernelLayout.Idt);
            A.mov(edi, (uint)KernelLayout.DebugIdt);
            A.mov(ecx, 0x1000 / 8);
            A.rep.movsq();
            A.pop(rdi);
            A.pop(rsi);
            A.and(__byte_ptr[KernelLayout.DebugIdt + 16 + 4], unchecked((sbyte)0xF8));
            A.mov(__word_ptr[KernelLayout.DebugIdtDescr], 0xFFF);
            A.mov(__qword_ptr[KernelLayout.DebugIdtDescr + 2], (int)KernelLayout.DebugIdt);
        }

        A.pop(rbx);
        End();

        // set_intr_gate(EDI = vector, RSI = handler, EDX = IST): 64-bit interrupt gate, DPL 0, CS 0x10 (fact D1).
        Begin("set_intr_gate");
        A.mov(rax, rsi);
        A.and(eax, 0xFFFF);
        A.or(eax, 0x10 << 16);
        A.mov(ecx, edx);
        A.and(ecx, 7);
        A.shl(rcx, 32);
        A.or(rax, rcx);
        A.mov(rcx, 0x00008E0000000000UL);
        A.or(rax, rcx);
        A.mov(rcx, rsi);
        A.shr(rcx, 16);
        A.and(ecx, 0xFFFF);
        A.shl(rcx, 48);
        A.or(rax, rcx);
        Scaled(r8, rdi, 4, KernelLayout.Idt);
        A.mov(__qword_ptr[r8], rax);
        A.mov(rcx, rsi);
        A.shr(rcx, 32);
        A.mov(__qword_ptr[r8 + 8], rcx);
        End();

        // Entry stubs: push a dummy error code where the CPU pushes none, then the vector.
        for (var vector = 0; vector < 32; vector++)
        {
            if (vector is 1 or 2 or 3 or 8 or 14)
            {
                continue; // EmitNestingHandlers (TrapsNesting.cs)
            }

            c.Function(StubName(vector));
            if (!ErrorCodeVectors.Contains(vector))
            {
                A.push(0);
            }

            A.push(vector);
            A.jmp(c.L("asm_exc_common"));
        }

        EmitNestingHandlers();

        // asm_exc_common: frame [rbp+8] vector, +16 error, +24 RIP, +32 CS, +40 RFLAGS, +48 RSP.
        Begin("asm_exc_common");
        A.mov(rdi, rbp);
        Call("die");
        End();

        // die(RDI = frame): prints an oops and halts this CPU.
        Begin("die");
        A.mov(rbx, rdi);
        Print("Oops: exception ");
        A.mov(rdi, __qword_ptr[rbx + 8]);
        PrintDec(rdi);
        Print(" error 0x");
        A.mov(rdi, __qword_ptr[rbx + 16]);
        PrintHex(rdi, 4);
        Print(" [#1] SMP\nCPU: ");
        A.mov(rdi, __qword_ptr.gs[KernelLayout.PerCpuNumber]);
        PrintDec(rdi);
        Print(" PID: 0 Comm: swapper\nRIP: ");
        A.mov(rdi, __qword_ptr[rbx + 32]);
        PrintHex(rdi, 4);
        Print(":");
        A.mov(rdi, __qword_ptr[rbx + 24]);
        PrintHex(rdi, 16);
        Print("\nRSP: ");
        A.mov(rdi, __qword_ptr[rbx + 48]);
        PrintHex(rdi, 16);
        Print(" EFLAGS: ");
        A.mov(rdi, __qword_ptr[rbx + 40]);
        PrintHex(rdi, 8);
        Print("\nKernel panic - not syncing: Fatal exception\n");
        var halt = c.Local();
        c.Bind(halt);
        A.cli();
        A.hlt();
        A.jmp(halt);
        End();

        // Device interrupts nobody asked for: acknowledge at the local APIC and return.
        Begin("asm_common_interrupt");
        A.push(rax);
        A.mov(eax, ApicBase);
        A.mov(__dword_ptr[rax + 0xB0], 0);
        A.pop(rax);
        A.leave();
        A.iretq();

        // Spurious APIC vector: no EOI.
        Begin("asm_sysvec_spurious_apic_interrupt");
        A.leave();
        A.iretq();
    }
}
