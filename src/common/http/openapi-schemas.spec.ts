import 'reflect-metadata';
import { Body, Controller, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import { clashingSchemaNames, routeModels } from './openapi-contract';

// Two modules that each call their DTO `ItemDto`, as whatsapp/ and integration-templates/ once did.
const first = (() => {
  class ItemDto {
    @ApiProperty() name!: string;
  }
  class WrapperDto {
    @ApiProperty({ type: () => [ItemDto] }) items!: ItemDto[];
  }
  return { ItemDto, WrapperDto };
})();
const second = (() => {
  class ItemDto {
    @ApiProperty() handler!: string;
  }
  return { ItemDto };
})();
class ItemBodyDto {
  @ApiProperty() handler!: string;
}

describe('clashingSchemaNames', () => {
  it('names a schema that two different classes claim, also when one is only reached through a property', () => {
    expect(clashingSchemaNames([first.WrapperDto, second.ItemDto])).toEqual(['ItemDto']);
    expect(clashingSchemaNames([[second.ItemDto], () => first.ItemDto])).toEqual(['ItemDto']);
  });

  it('accepts the same class reached twice, and distinct names', () => {
    expect(clashingSchemaNames([first.WrapperDto, first.ItemDto, ItemBodyDto, String])).toEqual([]);
  });
});

describe('routeModels', () => {
  it('takes the bodies and answers of routes, not their other parameters', () => {
    class QueryDto {
      @ApiProperty() q!: string;
    }
    @Controller('a')
    class AController {
      @Post()
      @ApiOkResponse({ type: first.WrapperDto })
      create(@Body() body: ItemBodyDto, @Query() query: QueryDto): string {
        return `${body.handler}${query.q}`;
      }
    }
    expect(routeModels([AController])).toEqual(expect.arrayContaining([first.WrapperDto, ItemBodyDto]));
    expect(routeModels([AController])).not.toContain(QueryDto);
  });
});
