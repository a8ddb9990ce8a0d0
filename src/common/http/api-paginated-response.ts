import { applyDecorators, Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty } from '@nestjs/swagger';

/** A page's envelope (API.md "Pagination"); each paginated route's schema adds its own `items`. */
export class PageMetaDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 }) page!: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 200, example: 50 }) pageSize!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Items matching the query, on every page' }) total!: number;
}

const pageClasses = new Map<Type<unknown>, Type<unknown>>();

/**
 * The named schema of a page of `item` (`LeadDto` → `LeadPageDto`): `{ items: item[], page,
 * pageSize, total }`. One class per item type, so a generated client gets one type per page.
 */
export function pageOf(item: Type<unknown>): Type<unknown> {
  const known = pageClasses.get(item);
  if (known) return known;
  class PageDto extends PageMetaDto {
    @ApiProperty({ type: () => [item] }) items!: unknown[];
  }
  Object.defineProperty(PageDto, 'name', { value: `${item.name.replace(/Dto$/, '')}PageDto` });
  pageClasses.set(item, PageDto);
  return PageDto;
}

/** 200 with a page of `item` (every list route answers this way; see Page<T> in pagination.ts). */
export function ApiPaginatedResponse(item: Type<unknown>, description?: string): MethodDecorator & ClassDecorator {
  const page = pageOf(item);
  return applyDecorators(
    ApiExtraModels(item, page),
    ApiOkResponse({ type: page, ...(description ? { description } : {}) }),
  );
}
