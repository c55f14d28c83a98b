-- scripts/call_center_es.lua
--
-- Reglas de negocio para prompts/call_center_es.md (atención al cliente de Telvento).
-- Business rules for prompts/call_center_es.md (Telvento customer service).
--
-- convgen encuentra este fichero solo: un prompt `prompts/X.md` usa `scripts/X.lua`.
-- Cada función de abajo es un «gancho» (hook) opcional; si se borra una, convgen
-- aplica su comportamiento por defecto. Guía completa: docs/lua-api.md.
--
-- Reglas de oro / golden rules:
--   * Todo lo aleatorio se saca de `ctx.rng` (nunca de os.time): así la misma semilla
--     (--seed) da exactamente las mismas conversaciones.
--   * Las validaciones devuelven `true` (todo bien) o `false, "motivo"` /
--     `false, {"motivo 1", "motivo 2"}`. Los motivos se guardan en el fichero de la
--     conversación y se le dan al generador para que lo intente otra vez.

---@type convgen.Hooks
local M = {}

---------------------------------------------------------------------------
-- 1. Datos de referencia (listas que un experto puede ampliar sin programar)
---------------------------------------------------------------------------

local EMPRESA = "Telvento"

-- Nombres de pila de los agentes del centro de llamadas.
local AGENTES = {
  "Marta", "Sergio", "Laura", "Daniel", "Irene", "Raúl",
  "Patricia", "Óscar", "Silvia", "Iván", "Noelia", "Adrián",
}

-- Nombres de clientes. (Se evitan nombres que contengan palabras clave del
-- generador de pruebas, p. ej. «Ricardo» contiene «card».)
local NOMBRES_MUJER = {
  "Lucía", "María", "Carmen", "Ana", "Isabel", "Elena", "Paula", "Cristina",
  "Raquel", "Pilar", "Nuria", "Sara", "Rocío", "Beatriz", "Inés", "Teresa",
  "Montserrat", "Rosario", "Amparo", "Consuelo",
}
local NOMBRES_HOMBRE = {
  "Javier", "Antonio", "Manuel", "David", "Carlos", "Miguel", "Pablo",
  "Alejandro", "Jorge", "Luis", "Fernando", "Álvaro", "Rubén", "Diego",
  "Andrés", "Ramón", "Francisco", "José", "Enrique", "Joaquín",
}
-- Las clientas de edad avanzada (escenario de itinerancia) llevan nombres
-- más habituales en personas mayores.
local NOMBRES_MUJER_MAYOR = {
  "Carmen", "Pilar", "Rosario", "Amparo", "Consuelo", "Dolores", "Josefa",
  "Mercedes", "Encarnación", "Remedios",
}
local APELLIDOS = {
  "García", "Fernández", "González", "Rodríguez", "López", "Martínez",
  "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández",
  "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Navarro", "Torres",
  "Domínguez", "Vázquez", "Ramos", "Serrano", "Molina", "Ortega", "Castro",
  "Delgado", "Rubio", "Medina",
}

-- Importe (en euros) que cada escenario pone sobre la mesa: [mínimo, máximo].
-- Cifras coherentes con las tarifas del prompt (fibra 30/38/45 €, móvil 12/25 €,
-- TV 10/22 €). `cuotas` = se elige una de esas cuotas exactas en lugar de un rango.
---@type table<string, {min: integer?, max: integer?, cuotas: number[]?}>
local IMPORTES = {
  billing_dispute = { min = 30, max = 90 },         -- el recibo cobrado dos veces
  fiber_outage    = { cuotas = { 30, 38, 45 } },    -- cuota mensual de la fibra
  cancel_mobile   = { cuotas = { 12, 25 } },        -- cuota de la línea que se da de baja
  plan_upgrade    = { cuotas = { 38, 45 } },        -- precio de la fibra nueva (600 Mb / 1 Gb)
  roaming_charges = { min = 80, max = 400 },        -- factura inflada tras el viaje
  tv_channels     = { cuotas = { 10, 22 } },        -- paquete de TV contratado
  sim_fraud       = { cuotas = { 12, 25 } },        -- cuota de la línea afectada
  address_move    = { cuotas = { 30, 38, 45 } },    -- cuota de la fibra que se traslada
}
---@type {min: integer, max: integer}
local IMPORTE_POR_DEFECTO = { min = 20, max = 100 } -- para escenarios nuevos

-- Escenarios en los que el agente MODIFICA la cuenta (devoluciones, bajas,
-- cambios de tarifa, bloqueos, traslados, reclamaciones, visitas técnicas).
-- En ellos la verificación de identidad es obligatoria antes del turno 6.
-- `false` = el agente solo consulta; la verificación no se exige aquí.
local CAMBIA_LA_CUENTA = {
  billing_dispute = true,   -- tramita una devolución
  fiber_outage    = true,   -- abre incidencia y cita una visita técnica
  cancel_mobile   = true,   -- da de baja una línea
  plan_upgrade    = true,   -- cambia la tarifa
  roaming_charges = true,   -- abre una reclamación
  tv_channels     = false,  -- solo comprueba el paquete y agenda una llamada
  sim_fraud       = true,   -- bloquea la SIM duplicada
  address_move    = true,   -- programa el traslado
}

-- Un escenario «de refuerzo»: una de cada N llamadas es de este tipo, pase lo que
-- pase con los pesos. El fraude es raro (peso 1) pero es el caso que más interesa
-- a los equipos de seguridad, así que garantizamos una presencia mínima.
local ESCENARIO_REFUERZO = "sim_fraud"
local CADA_N_LLAMADAS = 10

---------------------------------------------------------------------------
-- 2. Utilidades de texto
---------------------------------------------------------------------------

-- convgen trae la biblioteca `text`, que entiende acentos y la «ñ»
-- (string.lower de Lua solo sabe de la A a la Z):
--   text.lower("ÁLVARO")                → "álvaro"
--   text.words("¿Tienes el DNI?")       → {"tienes", "el", "dni"}
--   text.find_word(texto, {"tú", …})    → la primera palabra completa de la
--                                          lista que aparece, o nil
--   text.find_any(texto, {"hola", …})   → la primera expresión que aparece
--                                          (sin distinguir mayúsculas), o nil
--   text.len("año")                     → 3 caracteres (no bytes)

--- 42.5 → "42,50 €"; 30 → "30 €" (formato español: coma decimal, punto de miles).
---@param euros number
---@return string
local function formato_euros(euros)
  local centimos = math.floor(euros * 100 + 0.5)
  local enteros, resto = centimos // 100, centimos % 100
  local s = tostring(enteros)
  if enteros >= 10000 then -- 12345 → 12.345
    s = s:reverse():gsub("(%d%d%d)", "%1."):reverse():gsub("^%.", "")
  end
  if resto == 0 then return s .. " €" end -- 30 → "30 €" (como en las tarifas)
  return string.format("%s,%02d €", s, resto)
end

---------------------------------------------------------------------------
-- 3. Vocabulario que usan las validaciones
---------------------------------------------------------------------------

-- Saludos válidos al descolgar.
local SALUDOS = { "buenos días", "buenas tardes", "buenas noches", "buenas", "hola" }

-- Fórmulas de cierre: ofrecer más ayuda o despedirse.
local CIERRES = {
  "algo más", "alguna otra cosa", "otra cosa", "otra gestión",
  "gracias por llamar", "gracias por su llamada", "gracias por confiar",
  "que tenga un", "que pase un", "no dude en", "hasta luego", "adiós",
}

-- Formas de pedir la verificación de identidad. Las siglas se comparan como
-- palabras completas («nie» está dentro de «Daniel» o «conveniente»); el
-- resto, como expresiones.
local VERIFICACION_SIGLAS = { "dni", "nie" }
local VERIFICACION = {
  "fecha de nacimiento", "dígitos", "últimas cifras",
  "cuatro últimas", "verificar su identidad", "verificar que es usted",
}

-- Formas de «tú» que el agente nunca debe usar (trata siempre de usted).
-- Se comparan palabras completas: «tienes» salta, «tiene» no.
local TUTEO = {
  "tú", "tu", "tus", "te", "ti", "contigo", "tuyo", "tuya",
  "puedes", "tienes", "quieres", "sabes", "necesitas", "eres", "estás", "has",
  "prefieres", "llamas", "vives", "dices", "deseas", "recibirás", "podrás",
  "dime", "oye", "mira", "fíjate", "espérate", "perdona", "disculpa",
}

local MAX_CARACTERES = 600

-- Frases que alargan la pausa antes de un turno del agente (turn_latency).
local VUELVE_DE_ESPERA = {
  "gracias por la espera", "disculpe la espera", "gracias por esperar",
  "hacerle esperar", "ya estoy con usted",
}
local CONSULTA_EL_SISTEMA = { "un momento", "déjeme ver", "deme un segundo" }

--- El id del escenario de una conversación (de ctx o del propio fichero).
---@param ctx convgen.Ctx
---@param conv? convgen.Conversation
---@return string|nil
local function escenario_de(ctx, conv)
  if ctx.scenario then return ctx.scenario.id end
  if conv and conv.scenario then return conv.scenario.id end
  return nil
end

---------------------------------------------------------------------------
-- 4. Ganchos / hooks
---------------------------------------------------------------------------

--- Elige el escenario de cada conversación (solo con --scenario-mode script).
--- Regla: por sorteo según los pesos del prompt (`weight`), salvo una de cada
--- diez llamadas (la 10.ª, la 20.ª…), que es de fraude de SIM.
---@param ctx convgen.Ctx
---@return string
function M.select_scenario(ctx)
  if ctx.index % CADA_N_LLAMADAS == 0 then
    for _, s in ipairs(ctx.scenarios) do
      if s.id == ESCENARIO_REFUERZO then return s.id end
    end
    -- si alguien renombra el escenario en el prompt, seguimos con el sorteo normal
  end
  local elegido = ctx.rng:weighted(ctx.scenarios, "weight")
  return elegido.id
end

--- Los datos de cada llamada: rellenan los {{huecos}} del prompt y quedan
--- guardados en el campo `variables` de la conversación.
---@param ctx convgen.Ctx
---@return table<string, string|number>
function M.variables(ctx)
  local rng = ctx.rng
  local escenario = escenario_de(ctx) or ""

  -- Cliente: nombre + dos apellidos (distintos), como en un DNI español.
  -- En el escenario de itinerancia la llamada es de «una clienta de edad avanzada».
  local nombre
  if escenario == "roaming_charges" then
    nombre = rng:choice(NOMBRES_MUJER_MAYOR)
  elseif rng:float() < 0.5 then
    nombre = rng:choice(NOMBRES_MUJER)
  else
    nombre = rng:choice(NOMBRES_HOMBRE)
  end
  local apellido1 = rng:choice(APELLIDOS)
  local apellido2 = rng:choice(APELLIDOS)
  while apellido2 == apellido1 do apellido2 = rng:choice(APELLIDOS) end

  -- Importe: un rango con céntimos, o una de las cuotas exactas de la tarifa.
  local regla = IMPORTES[escenario] or IMPORTE_POR_DEFECTO
  local minimo, maximo = regla.min or IMPORTE_POR_DEFECTO.min, regla.max or IMPORTE_POR_DEFECTO.max
  local amount
  if regla.cuotas then
    amount = rng:choice(regla.cuotas) + 0.0 -- + 0.0: siempre número con decimales
  else
    amount = rng:int(minimo * 100, maximo * 100) / 100 -- en céntimos: p. ej. 47.35
  end

  -- DNI válido: 8 cifras + letra de control (resto de dividir entre 23).
  local numero = rng:int(10000000, 79999999)
  local letra_pos = numero % 23 + 1
  local dni = string.format("%08d%s", numero,
    string.sub("TRWAGMYFPDXBNJZSQVHLCKE", letra_pos, letra_pos))

  return {
    customer = nombre .. " " .. apellido1 .. " " .. apellido2, -- "Lucía García López"
    agent    = rng:choice(AGENTES),                             -- "Marta"
    company  = EMPRESA,                                         -- "Telvento"
    amount   = amount,                                          -- 47.35 (número)
    importe  = formato_euros(amount),                           -- "47,35 €" (para el texto)
    contract = string.format("TV-%07d", rng:int(0, 9999999)),   -- "TV-0482913"
    dni      = dni,                                             -- "48213790K"
  }
end

--- Segundos de silencio antes de cada turno (para las marcas de tiempo).
--- Regla: tiempo de reacción según quién habla + tiempo de hablar el texto
--- (unos 15 caracteres por segundo), con una variación aleatoria de ±25 %.
---@param turn convgen.Turn
---@param ctx convgen.Ctx
---@return number
function M.turn_latency(turn, ctx)
  local rng = ctx.rng
  -- Primer turno: los tonos de llamada hasta que se descuelga (2 a 6 s).
  if turn.index == 1 then
    return 2 + 4 * rng:float()
  end
  local reaccion = (turn.role == "agent") and 1.5 or 0.8
  local hablar = text.len(turn.text) / 15
  local variacion = 0.75 + 0.5 * rng:float() -- entre ×0,75 y ×1,25
  local segundos = (reaccion + hablar) * variacion
  if turn.role == "agent" then
    -- Vuelve de una espera: de 20 s a 1 min más.
    if text.find_any(turn.text, VUELVE_DE_ESPERA) then
      segundos = segundos + 20 + 40 * rng:float()
    -- Está consultando el sistema: de 2 a 5 s más.
    elseif text.find_any(turn.text, CONSULTA_EL_SISTEMA) then
      segundos = segundos + 2 + 3 * rng:float()
    end
  end
  return math.max(0, segundos)
end

--- Revisa cada turno por separado.
--- Reglas: no vacío; como mucho 600 caracteres; el agente no tutea.
---@param turn convgen.Turn
---@param ctx convgen.Ctx
---@return boolean ok
---@return string|string[]|nil motivos
function M.validate_turn(turn, ctx)
  local motivos = {}
  local texto = turn.text or ""
  if not string.find(texto, "%S") then
    return false, "turno vacío"
  end
  local n = text.len(texto)
  if n > MAX_CARACTERES then
    motivos[#motivos + 1] = string.format(
      "turno demasiado largo (%d caracteres; máximo %d)", n, MAX_CARACTERES)
  end
  if turn.role == "agent" then
    local tu = text.find_word(texto, TUTEO)
    if tu then
      motivos[#motivos + 1] = string.format(
        "el agente tutea al cliente («%s»); debe tratarle de usted", tu)
    end
  end
  if #motivos > 0 then return false, motivos end
  return true
end

--- Revisa la llamada completa.
--- Reglas:
---  1. El primer turno del agente saluda (buenos días / buenas tardes / …)
---     y el agente dice su nombre.
---  2. Uno de los dos últimos turnos del agente tiene una fórmula de cierre
---     («¿algo más…?», «gracias por llamar…», «que tenga un buen día»).
---  3. Si el escenario modifica la cuenta, el agente pide DNI / fecha de
---     nacimiento / últimos dígitos antes del turno 6.
---@param conv convgen.Conversation
---@param ctx convgen.Ctx
---@return boolean ok
---@return string|string[]|nil motivos
function M.validate_conversation(conv, ctx)
  local motivos = {}
  ---@type convgen.Turn[]
  local del_agente = {} -- los turnos del agente, en orden
  for _, t in ipairs(conv.turns) do
    if t.role == "agent" then del_agente[#del_agente + 1] = t end
  end
  local primero = del_agente[1]
  if not primero then
    return false, "el agente no habla en toda la llamada"
  end

  -- 1. Saludo y presentación.
  if not text.find_any(primero.text, SALUDOS) then
    motivos[#motivos + 1] = "el agente no saluda en su primer turno (buenos días, buenas tardes…)"
  end
  local agente = (ctx.vars and ctx.vars.agent) or (conv.variables and conv.variables.agent)
  if type(agente) == "string" and agente ~= ""
      and not string.find(primero.text, agente, 1, true) then
    motivos[#motivos + 1] = "el agente no dice su nombre («" .. agente .. "») al saludar"
  end

  -- 2. Cierre en uno de los dos últimos turnos del agente.
  local cierre = false
  for i = math.max(1, #del_agente - 1), #del_agente do
    if text.find_any(del_agente[i].text, CIERRES) then cierre = true end
  end
  if not cierre then
    motivos[#motivos + 1] = "falta la fórmula de cierre (¿algo más…? / gracias por llamar…) al final"
  end

  -- 3. Verificación de identidad antes del turno 6 cuando se toca la cuenta.
  local escenario = escenario_de(ctx, conv)
  if escenario and CAMBIA_LA_CUENTA[escenario] then
    local verificado = false
    for _, t in ipairs(del_agente) do
      if t.index < 6 and (text.find_word(t.text, VERIFICACION_SIGLAS)
          or text.find_any(t.text, VERIFICACION)) then
        verificado = true
      end
    end
    if not verificado then
      motivos[#motivos + 1] =
        "el agente no verifica la identidad (DNI, fecha de nacimiento o dígitos) antes del turno 6"
    end
  end

  if #motivos > 0 then return false, motivos end
  return true
end

return M
