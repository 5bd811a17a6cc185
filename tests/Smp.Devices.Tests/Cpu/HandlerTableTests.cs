using Iced.Intel;
using Smp.Devices.Cpu.Decoding;

namespace Smp.Devices.Tests.Cpu;

public class HandlerTableTests
{
    [Fact]
    public void Every_family_registers_without_claiming_another_familys_instruction()
    {
        // The static constructor throws when two families register one code; touching the table runs it.
        Assert.True(HandlerTable.IsImplemented(Code.Add_rm64_r64));
    }

    [Theory]
    [InlineData(Code.Pushw_ES)]
    [InlineData(Code.Pushq_FS)]
    [InlineData(Code.Iretq)]
    [InlineData(Code.Wrmsr)]
    [InlineData(Code.Movsb_m8_m8)]
    [InlineData(Code.Jmp_m1664)]
    public void Instructions_guests_need_are_implemented(Code code) => Assert.True(HandlerTable.IsImplemented(code));
}
