using Smp.Devices.Cpu;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Smp.Host.Guest;

/// <summary>
/// The exceptions that nest: NMI, #DB, #BP, #PF and #DF, in the variant <see cref="KernelOptions.Handlers"/>
/// selects, and the work <c>do_nmi</c> does so that they nest for real (a kprobe-like INT3, a data-breakpoint
/// target, a demand page fault). Written from the facts sheet, sections C1–C3 and B6.
/// </summary>
internal sealed partial class Kernel64Builder
{
    /// <summary>Offset of tss.ist[IST_INDEX_DB]: IST_INDEX_DB = 2 is gate IST 3 (fact B3).</summary>
    private static readonly int TssIstDb = (int)Tss64.IstOffset(3);

    private const int RflagsTf = 0x100;
    private const int RflagsDf = 0x400;
    private const int RflagsRf = 0x10000;

    private static readonly AssemblerRegister64[] SavedRegisters =
        [rdi, rsi, rdx, rcx, rax, r8, r9, r10, r11, rbx, rbp, r12, r13, r14, r15];

    private void EmitNestingHandlers()
    {
        if (options.Handlers == HandlerVariant.Linux)
        {
            EmitLinuxNmiEntry();
            EmitDebugEntry(shiftIst: true);
        }
        else
        {
            EmitPlainEntry("asm_exc_nmi", "do_nmi");
            EmitDebugEntry(shiftIst: false);
        }

        EmitPlainEntry("asm_exc_int3", "do_int3");

        // #PF: the CPU pushed the error code (orig_ax); do_page_fault(regs, error_code).
        c.Function("asm_exc_page_fault");
        PushRegs();
        A.mov(rdi, rsp);
        A.mov(rsi, __qword_ptr[rsp + PtRegs.OrigAx]);
        Call("do_page_fault");
        PopRegs();
        A.add(rsp, 8);
        A.iretq();

        // #DF (IST 1, error code always 0): do_double_fault(regs, error_code) does not return.
        c.Function("asm_exc_double_fault");
        PushRegs();
        A.mov(rdi, rsp);
        A.mov(rsi, __qword_ptr[rsp + PtRegs.OrigAx]);
        Call("do_double_fault");
        var stop = c.Local();
        c.Bind(stop);
        A.cli();
        A.hlt();
        A.jmp(stop);

        EmitDoNmi();
        EmitDoDebug();
        EmitPageFault();
        EmitDoubleFault();
    }

    /// <summary>push regs → pt_regs (orig_ax already pushed); RSP then points at pt_regs.r15.</summary>
    private void PushRegs()
    {
        foreach (var register in SavedRegisters)
        {
            A.push(register);
        }
    }

    private void PopRegs()
    {
        for (var i = SavedRegisters.Length - 1; i >= 0; i--)
        {
            A.pop(SavedRegisters[i]);
        }
    }

    /// <summary>The naive entry: <c>push regs; call handler; pop regs; iretq</c> on whatever stack the gate gave.</summary>
    private void EmitPlainEntry(string name, string handler)
    {
        c.Function(name);
        A.push(-1); // orig_ax: no error code
        PushRegs();
        A.mov(rdi, rsp);
        Call(handler);
        PopRegs();
        A.add(rsp, 8);
        A.iretq();
    }

    /// <summary>
    /// #DB on IST 3. With <paramref name="shiftIst"/> (Linux 5.2–5.7, fact C3), tss.ist[IST_INDEX_DB] is lowered
    /// by DB_STACK_OFFSET while <c>do_debug</c> runs, so a nested #DB lands on DB1 and a third level in the
    /// unmapped DB2 hole.
    /// </summary>
    private void EmitDebugEntry(bool shiftIst)
    {
        c.Function("asm_exc_debug");
        A.push(-1);
        PushRegs();
        A.mov(rdi, rsp);
        if (shiftIst)
        {
            A.mov(rax, __qword_ptr.gs[KernelLayout.PerCpuTss]);
            A.sub(__qword_ptr[rax + TssIstDb], (int)KernelLayout.DbIstShift);
        }

        Call("do_debug");
        if (shiftIst)
        {
            A.mov(rax, __qword_ptr.gs[KernelLayout.PerCpuTss]);
            A.add(__qword_ptr[rax + TssIstDb], (int)KernelLayout.DbIstShift);
        }

        PopRegs();
        A.add(rsp, 8);
        A.iretq();
    }

    /// <summary>
    /// Linux's nested-NMI entry (fact C2). With T the NMI IST top, a kernel-mode NMI keeps, top down:
    /// the hardware frame (T-40..T-8), saved RDX (T-48), "NMI executing" (T-56), the "iret" frame
    /// (T-96..T-64) and the "outermost" frame (T-136..T-104), then pt_regs.
    /// </summary>
    private void EmitLinuxNmiEntry()
    {
        const int nmiStackSize = (int)KernelLayout.IstStackSize;
        var fromUser = c.Local();
        var notRepeat = c.Local();

        c.Function("asm_exc_nmi");
        A.push(rdx); // T-48; the hardware frame is at [rsp+8]: RIP, CS +16, RFLAGS +24, RSP +32, SS +40
        A.cld();
        A.test(__byte_ptr[rsp + 16], 3);
        A.jnz(fromUser);

        // Nested if the interrupted RIP is in [repeat_nmi, end_repeat_nmi): the repeat about to run covers it.
        A.lea(rdx, __[c.L("repeat_nmi")]);
        A.cmp(__qword_ptr[rsp + 8], rdx);
        A.jb(notRepeat);
        A.lea(rdx, __[c.L("end_repeat_nmi")]);
        A.cmp(__qword_ptr[rsp + 8], rdx);
        A.jb(c.L("nested_nmi_out"));
        c.Bind(notRepeat);

        // ... or if "NMI executing" is 1 ...
        A.cmp(__qword_ptr[rsp - 8], 1);
        A.je(c.L("nested_nmi"));

        // ... or if the interrupted RSP is inside this NMI stack with RFLAGS.DF set (the exit window after STD).
        A.lea(rdx, __[rsp + 48]); // T
        A.cmp(__qword_ptr[rsp + 32], rdx);
        A.ja(c.L("first_nmi"));
        A.sub(rdx, nmiStackSize);
        A.cmp(__qword_ptr[rsp + 32], rdx);
        A.jb(c.L("first_nmi"));
        A.test(__qword_ptr[rsp + 24], RflagsDf);
        A.jz(c.L("first_nmi"));
        A.jmp(c.L("nested_nmi"));

        // From user mode: nothing can be nested; move the frame to the thread stack and handle it there.
        c.Bind(fromUser);
        A.mov(rdx, rsp);
        A.mov(rsp, __qword_ptr.gs[KernelLayout.PerCpuStackTop]);
        for (var slot = 40; slot >= 8; slot -= 8)
        {
            A.push(__qword_ptr[rdx + slot]);
        }

        A.push(-1);
        A.mov(rdx, __qword_ptr[rdx]);
        PushRegs();
        A.mov(rdi, rsp);
        Call("do_nmi");
        PopRegs();
        A.add(rsp, 8);
        A.iretq();

        // nested_nmi: make the outer NMI's "iret" frame return to repeat_nmi (with the RSP repeat_nmi expects,
        // the start of "outermost"), then return to whatever this NMI interrupted.
        c.Function("nested_nmi");
        A.sub(rsp, 8); // T-56: the pushes below land on the "iret" frame
        A.lea(rdx, __[rsp - 80]); // T-136
        A.push(0x18); // __KERNEL_DS
        A.push(rdx);
        A.pushfq();
        A.push(0x10); // __KERNEL_CS
        A.lea(rdx, __[c.L("repeat_nmi")]);
        A.push(rdx);
        A.add(rsp, 48); // back to T-48

        c.Function("nested_nmi_out");
        A.pop(rdx);
        A.iretq();

        // first_nmi: restore RDX, "NMI executing" = 0, room for "iret", copy the hardware frame to "outermost".
        c.Function("first_nmi");
        A.mov(rdx, __qword_ptr[rsp]);
        A.push(0); // T-56
        A.sub(rsp, 40); // T-96
        for (var i = 0; i < 5; i++)
        {
            A.push(__qword_ptr[rsp + 88]); // T-8 (SS) ... T-40 (RIP) → T-104 ... T-136
        }

        // repeat_nmi: "NMI executing" = 1, copy "outermost" → "iret". RSP = T-136 here, also when a nested NMI
        // sent the outer one back here through its "iret" frame.
        c.Function("repeat_nmi");
        A.mov(__qword_ptr[rsp + 80], 1);
        A.add(rsp, 80); // T-56
        for (var i = 0; i < 5; i++)
        {
            A.push(__qword_ptr[rsp - 48]); // T-104 (SS) ... T-136 (RIP) → T-64 ... T-96
        }

        A.sub(rsp, 40); // T-136

        // end_repeat_nmi: everything from here on may be interrupted by a nested NMI, which only rewrites "iret".
        c.Function("end_repeat_nmi");
        A.push(-1); // orig_ax
        PushRegs();
        A.mov(rdi, rsp);
        Call("do_nmi");

        // nmi_restore: pop regs, skip orig_ax and "outermost", STD, clear "NMI executing", IRET through "iret"
        // (back to repeat_nmi if a nested NMI rewrote it).
        c.Function("nmi_restore");
        PopRegs();
        A.add(rsp, 48); // T-96: the "iret" frame
        A.std();
        A.mov(__qword_ptr[rsp + 40], 0);
        A.iretq();
    }

    private void EmitDoNmi()
    {
        // do_nmi(RDI = regs): one call per NMI handled; nmi_count counts them (the guest contract).
        Begin("do_nmi");
        A.push(rbx);
        A.mov(rbx, rdi);
        A.@lock.inc(__qword_ptr.gs[KernelLayout.PerCpuNmiCount]);
        A.mov(rax, cr2);
        A.mov(__qword_ptr.gs[KernelLayout.PerCpuNmiCr2], rax);
        var notOnDebugStack = c.Local();
        if (options.Handlers == HandlerVariant.Linux)
        {
            // An NMI over a debug stack (DB1 bottom .. DB top): a #DB from here must not reuse the #DB IST (fact C3).
            A.mov(rax, __qword_ptr[rbx + PtRegs.Sp]);
            A.mov(rcx, __qword_ptr.gs[KernelLayout.PerCpuNumber]);
            A.shl(rcx, 16);
            A.add(rcx, (int)(KernelLayout.IstStacks + KernelLayout.Db1StackOffset));
            A.cmp(rax, rcx);
            A.jb(notOnDebugStack);
            A.add(rcx, (int)(KernelLayout.DbStackOffset + KernelLayout.IstStackSize - KernelLayout.Db1StackOffset));
            A.cmp(rax, rcx);
            A.ja(notOnDebugStack);
            Call("debug_stack_set_zero");
        }

        c.Bind(notOnDebugStack);
        A.mov(rdi, rbx);
        Call("nmi_handle");
        if (options.Handlers == HandlerVariant.Linux)
        {
            var noReset = c.Local();
            A.cmp(__qword_ptr.gs[KernelLayout.PerCpuUpdateDebugStack], 0);
            A.je(noReset);
            Call("debug_stack_reset");
            c.Bind(noReset);
        }

        // A #PF taken inside the NMI changed CR2 under whatever the NMI interrupted: put it back.
        var sameCr2 = c.Local();
        A.mov(rax, __qword_ptr.gs[KernelLayout.PerCpuNmiCr2]);
        A.mov(rcx, cr2);
        A.cmp(rax, rcx);
        A.je(sameCr2);
        A.mov(cr2, rax);
        c.Bind(sameCr2);
        A.pop(rbx);
        End();

        // nmi_handle(RDI = regs): the work that nests, in the order a real NMI handler might meet it.
        Begin("nmi_handle");
        A.int3(); // a kprobe on this instruction: #BP, whose IRETQ unblocks NMIs (fact C1)

        // A debugger-planted INT1: while int1_request is set, ICEBP (0xF1) raises a trap-type #DB through the #DB
        // gate (IST 3) here, inside the NMI handler. The guest never clears the request; the debugger does.
        var noInt1 = c.Local();
        A.cmp(__qword_ptr.gs[KernelLayout.PerCpuInt1Request], 0);
        A.je(noInt1);
        A.int1();
        c.Bind(noInt1);
        A.@lock.inc(__qword_ptr.gs[KernelLayout.PerCpuNmiTouchVar]); // nmi_touch_var: data-breakpoint target
        A.mov(rax, __qword_ptr.gs[KernelLayout.PerCpuNmiFaultPage]);
        A.inc(__qword_ptr[rax]); // not present: #PF, do_page_fault maps it and returns here
        A.mov(rcx, __qword_ptr.gs[KernelLayout.PerCpuNmiFaultPte]);
        A.and(__qword_ptr[rcx], -2); // unmap it again so that the next NMI faults too
        A.invlpg(__[rax]);
        End();

        if (options.Handlers == HandlerVariant.Linux)
        {
            Begin("debug_stack_set_zero");
            A.mov(__qword_ptr.gs[KernelLayout.PerCpuUpdateDebugStack], 1);
            A.lidt(__[KernelLayout.DebugIdtDescr]);
            End();

            Begin("debug_stack_reset");
            A.mov(__qword_ptr.gs[KernelLayout.PerCpuUpdateDebugStack], 0);
            A.lidt(__[KernelLayout.IdtDescr]);
            End();
        }

        // do_int3(RDI = regs): the kprobe is "handled"; INT3 is a trap, so the saved RIP is already past it.
        Begin("do_int3");
        A.@lock.inc(__qword_ptr.gs[KernelLayout.PerCpuBreakpointCount]);
        End();
    }

    private void EmitDoDebug()
    {
        // do_debug(RDI = regs): count; a breakpoint hit (DR6.B0-B3) returns with RF so an instruction breakpoint
        // does not fire again; a single step in kernel mode clears TF in the frame (Linux ignores kernel-mode
        // single steps); DR6 is reset. An INT1 (ICEBP) #DB sets none of DR6.B0-B3/BS: it is counted and returns.
        Begin("do_debug");
        A.@lock.inc(__qword_ptr.gs[KernelLayout.PerCpuDebugCount]);
        A.mov(rax, dr6);
        var noBreakpoint = c.Local();
        var noStep = c.Local();
        A.test(al, 0xF);
        A.jz(noBreakpoint);
        A.or(__qword_ptr[rdi + PtRegs.Flags], RflagsRf);
        c.Bind(noBreakpoint);
        A.test(eax, 0x4000);
        A.jz(noStep);
        A.test(__byte_ptr[rdi + PtRegs.Cs], 3);
        A.jnz(noStep);
        A.and(__qword_ptr[rdi + PtRegs.Flags], ~RflagsTf);
        c.Bind(noStep);
        A.mov(eax, 0xFFFF0FF0);
        A.mov(dr6, rax);
        End();
    }

    private void EmitPageFault()
    {
        // do_page_fault(RDI = regs, RSI = error code).
        Begin("do_page_fault");
        A.push(rbx);
        A.push(r12);
        A.push(r13);
        A.mov(rbx, rdi);
        A.mov(r13, rsi);
        A.mov(r12, cr2);
        A.@lock.inc(__qword_ptr.gs[KernelLayout.PerCpuPageFaultCount]);

        // This CPU's NMI demand page: map it (P in the PTE, INVLPG) and return to the faulting instruction.
        var notDemand = c.Local();
        var done = c.Local();
        var bad = c.Local();
        A.mov(rax, r12);
        A.and(rax, -0x1000);
        A.cmp(rax, __qword_ptr.gs[KernelLayout.PerCpuNmiFaultPage]);
        A.jne(notDemand);
        A.mov(rcx, __qword_ptr.gs[KernelLayout.PerCpuNmiFaultPte]);
        A.or(__qword_ptr[rcx], 1);
        A.invlpg(__[rax]);
        A.jmp(done);

        // A guard page or the DB2 hole of the exception stacks: the CPU was pushing an exception frame there.
        c.Bind(notDemand);
        A.mov(rax, KernelLayout.IstStacks);
        A.cmp(r12, rax);
        A.jb(bad);
        A.mov(rax, KernelLayout.IstStacksEnd);
        A.cmp(r12, rax);
        A.jae(bad);
        A.mov(rdi, r12);
        Call("handle_stack_overflow");

        c.Bind(bad);
        Print("BUG: unable to handle page fault for address: ");
        PrintHex(r12, 16);
        Print("\n#PF: error_code(0x");
        PrintHex(r13, 4);
        Print(")\nOops: ");
        PrintHex(r13, 4);
        Print(" [#1] SMP\n");
        A.mov(rdi, rbx);
        Call("show_regs");
        Print("Kernel panic - not syncing: Fatal exception\n");
        var halt = c.Local();
        c.Bind(halt);
        A.cli();
        A.hlt();
        A.jmp(halt);

        c.Bind(done);
        A.pop(r13);
        A.pop(r12);
        A.pop(rbx);
        End();

        // handle_stack_overflow(RDI = address in an exception-stack guard): the frame the CPU tried to push there
        // cannot be delivered. Under the SDM a #PF raised while delivering #DB is handled serially (fact D4), so
        // re-raise it as a stack overflow does: push on the guard page itself, and the #PF for that push faults
        // while being delivered on the same stack → #DF on its own IST (#PF during #PF).
        Begin("handle_stack_overflow");
        A.and(rdi, -0x1000);
        A.add(rdi, 0x1000);
        A.mov(rsp, rdi);
        A.push(rax);
        var never = c.Local();
        c.Bind(never);
        A.cli();
        A.hlt();
        A.jmp(never);
    }

    private void EmitDoubleFault()
    {
        // do_double_fault(RDI = regs, RSI = error code): Linux's "PANIC: double fault" oops, then halt.
        Begin("do_double_fault");
        A.mov(rbx, rdi);
        A.mov(r12, rsi);
        Print("PANIC: double fault, error_code: 0x");
        PrintHex(r12, 1);
        Print("\n");
        A.mov(rdi, rbx);
        Call("show_regs");
        Print("Kernel panic - not syncing: Machine halted.\n");
        var halt = c.Local();
        c.Bind(halt);
        A.cli();
        A.hlt();
        A.jmp(halt);

        // show_regs(RDI = regs): CPU, RIP, RSP, EFLAGS, CR2 as Linux's __show_regs lays them out.
        Begin("show_regs");
        A.push(rbx);
        A.mov(rbx, rdi);
        Print("CPU: ");
        A.mov(rdi, __qword_ptr.gs[KernelLayout.PerCpuNumber]);
        PrintDec(rdi);
        Print(" PID: 0 Comm: swapper\nRIP: ");
        A.mov(rdi, __qword_ptr[rbx + PtRegs.Cs]);
        PrintHex(rdi, 4);
        Print(":");
        A.mov(rdi, __qword_ptr[rbx + PtRegs.Ip]);
        PrintHex(rdi, 16);
        Print("\nRSP: ");
        A.mov(rdi, __qword_ptr[rbx + PtRegs.Ss]);
        PrintHex(rdi, 4);
        Print(":");
        A.mov(rdi, __qword_ptr[rbx + PtRegs.Sp]);
        PrintHex(rdi, 16);
        Print(" EFLAGS: ");
        A.mov(rdi, __qword_ptr[rbx + PtRegs.Flags]);
        PrintHex(rdi, 8);
        Print("\nCR2: ");
        A.mov(rdi, cr2);
        PrintHex(rdi, 16);
        Print("\n");
        A.pop(rbx);
        End();
    }
}
