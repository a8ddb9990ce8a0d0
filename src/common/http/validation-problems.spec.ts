import { plainToInstance, Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { validate } from 'class-validator';
import { validationProblems } from './validation-problems';

class Inner {
  @IsString()
  @IsNotEmpty()
  pointer!: string;
}

class Body {
  @IsInt()
  @Min(1)
  @Max(2147483647)
  subAccountId!: number;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @IsOptional()
  @IsString()
  description?: string;

  @ValidateNested()
  @Type(() => Inner)
  inner!: Inner;
}

async function problems(plain: object) {
  return validationProblems(await validate(plainToInstance(Body, plain)));
}

describe('validationProblems', () => {
  it('names a required field that was left out as required, not by every check it failed', async () => {
    expect(await problems({ inner: { pointer: '/a' } })).toEqual([
      { field: 'subAccountId', messages: ['subAccountId is required'] },
      { field: 'name', messages: ['name is required'] },
    ]);
  });

  it('names a nested required field by its path', async () => {
    expect(await problems({ subAccountId: 1, name: 'a', inner: {} })).toEqual([
      { field: 'inner.pointer', messages: ['inner.pointer is required'] },
    ]);
  });

  it('keeps the checks a value that was sent failed', async () => {
    expect(await problems({ subAccountId: 0, name: '', description: 5, inner: { pointer: '/a' } })).toEqual([
      { field: 'subAccountId', messages: ['subAccountId must not be less than 1'] },
      { field: 'name', messages: ['name should not be empty'] },
      { field: 'description', messages: ['description must be a string'] },
    ]);
  });
});
