// What is read back from Meta's template JSON: header type, variables with examples, buttons, placeholders.
import { describeTemplate, placeholdersOf } from './template-rules';

describe('describeTemplate', () => {
  it('extracts header type, variables with examples and buttons from a listed positional template', () => {
    const facts = describeTemplate({
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Forget something {{1}}?', example: { header_text: ['Pablo'] } },
        {
          type: 'BODY',
          text: 'Use code {{2}} before {{1}}',
          example: { body_text: [['Friday', '10OFF']] },
        },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'PHONE_NUMBER', text: 'Call', phone_number: '16467043595' },
            { type: 'URL', text: 'Shop', url: 'https://shop.example/?promo={{1}}', example: ['summer2023'] },
          ],
        },
      ],
    });
    expect(facts).toEqual({
      parameterFormat: 'POSITIONAL',
      headerType: 'TEXT',
      variables: [
        { component: 'HEADER', key: '1', example: 'Pablo' },
        { component: 'BODY', key: '1', example: 'Friday' },
        { component: 'BODY', key: '2', example: '10OFF' },
        { component: 'BUTTON', key: '1', example: 'summer2023' },
      ],
      buttons: [
        { index: 0, type: 'PHONE_NUMBER', text: 'Call', phoneNumber: '16467043595', hasVariable: false },
        { index: 1, type: 'URL', text: 'Shop', url: 'https://shop.example/?promo={{1}}', hasVariable: true },
      ],
    });
  });

  it('reads NAMED templates, stated or inferred when the listing omits parameter_format', () => {
    const components = [
      {
        type: 'BODY',
        text: 'Hi {{first_name}}, order {{order_id}} ships {{first_name}}',
        example: {
          body_text_named_params: [
            { param_name: 'first_name', example: 'Ana' },
            { param_name: 'order_id', example: '42' },
          ],
        },
      },
    ];
    const expected = [
      { component: 'BODY', key: 'first_name', example: 'Ana' },
      { component: 'BODY', key: 'order_id', example: '42' },
    ];
    expect(describeTemplate({ components, parameter_format: 'NAMED' }).variables).toEqual(expected);
    expect(describeTemplate({ components })).toMatchObject({ parameterFormat: 'NAMED', headerType: null });
  });

  it('describes media and location headers and templates without variables', () => {
    expect(
      describeTemplate({
        components: [
          { type: 'HEADER', format: 'IMAGE' },
          { type: 'BODY', text: 'Hi' },
        ],
      }),
    ).toEqual({ parameterFormat: 'POSITIONAL', headerType: 'IMAGE', variables: [], buttons: [] });
    expect(describeTemplate({ components: 'garbage' }).variables).toEqual([]);
  });

  it('lists placeholders in order of appearance', () => {
    expect(placeholdersOf('{{2}} and {{first}} and {{2}}')).toEqual(['2', 'first', '2']);
  });
});
